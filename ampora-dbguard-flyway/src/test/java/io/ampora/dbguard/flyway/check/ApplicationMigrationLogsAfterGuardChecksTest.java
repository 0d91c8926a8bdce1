package io.ampora.dbguard.flyway.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Flyway's log configuration is global: every {@code Flyway} instance makes its own the one all Flyway loggers
 * use. The migration checks read the status with Flyway's INFO lines turned down; the application's own
 * migration, configured before the checks ran and run after them (the Spring Boot starter's order), must still
 * log at INFO ("Successfully applied 3 migrations"). slf4j-simple writes to System.err, read here; the test
 * logging configuration shows Flyway's DbMigrate at INFO.
 */
@WithPostgres
class ApplicationMigrationLogsAfterGuardChecksTest {

    @Test
    void applicationsMigrationStillLogsAtInfoAfterTheGuardReadTheStatusQuietly(TestDatabase db) throws Exception {
        Flyway application = Flyway.configure().dataSource(db.dataSource()).locations(FlywayChecksTest.V3).load();
        DbGuard.builder().dataSource(db.dataSource()).checks(FlywayGuard.ofLocations(FlywayChecksTest.V3).checks())
                .build().report();

        String logged = stderrOf(application::migrate);

        assertThat(logged).contains("INFO").contains("Successfully applied");
    }

    private static String stderrOf(Runnable action) {
        PrintStream before = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(before);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
