package io.ampora.dbguard.flyway.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.lang.reflect.Field;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 19, bug 5: every migration check used to log Flyway's own INFO lines ("Database: ...",
 * "Environment: default") on every run, a dozen lines per monitor interval. The guard's runs keep Flyway
 * quiet unless asked; warnings still come through.
 *
 * <p>The tests' slf4j-simple configuration holds {@code org.flywaydb} at WARN, so each test opens Flyway's
 * loggers to INFO for its duration (slf4j-simple's level field) and reads what reaches stderr.
 */
@WithPostgres
class FlywayLoggingTest {

    private static final String SAFE = "classpath:db/demo/safe";

    @Test
    void guardRunsDoNotLogFlywaysInfoLines(TestDatabase db) throws Exception {
        FlywayChecksTest.migrate(db.dataSource(), "quiet", SAFE);
        FlywayGuard flyway = FlywayGuard.custom().locations(SAFE).schemas("quiet").build();
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).checks(flyway.checks()).build();
        guard.report(); // creates Flyway's loggers, so their level can be opened below

        String logged = stderrWithFlywayAtInfo(guard::report);
        String asked = stderrWithFlywayAtInfo(() -> DbGuard.builder().dataSource(db.dataSource())
                .checks(FlywayGuard.custom().locations(SAFE).schemas("quiet").flywayLogging(true).build().checks())
                .build().report());

        assertThat(asked).as("the same run with Flyway's logging asked for").contains("INFO org.flywaydb");
        assertThat(logged).doesNotContain("INFO org.flywaydb");
    }

    /**
     * Flyway's log configuration is global: every {@code Flyway} instance makes its own the one all Flyway
     * loggers use. The application's own migration, configured before the guard's checks and run after them (the
     * Spring Boot starter's order), must still log at INFO; it lost those lines while the checks' quiet logger
     * was everyone's.
     */
    @Test
    void applicationsMigrationStillLogsAtInfoAfterTheGuardReadTheStatusQuietly(TestDatabase db) throws Exception {
        String v3 = FlywayChecksTest.V3;
        FlywayChecksTest.migrate(db.dataSource(), "earlier", v3); // creates Flyway's loggers, opened below
        Flyway application = Flyway.configure().dataSource(db.dataSource()).schemas("app").locations(v3).load();
        DbGuard.builder().dataSource(db.dataSource())
                .checks(FlywayGuard.custom().locations(v3).schemas("app").build().checks()).build().report();

        String logged = stderrWithFlywayAtInfo(application::migrate);

        assertThat(logged).contains("INFO org.flywaydb").contains("Successfully applied");
    }

    private static String stderrWithFlywayAtInfo(Runnable run) throws Exception {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        Field mapField = factory.getClass().getDeclaredField("loggerMap");
        mapField.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<String, Logger> loggers = (Map<String, Logger>) mapField.get(factory);
        Field level = Class.forName("org.slf4j.simple.SimpleLogger").getDeclaredField("currentLogLevel");
        level.setAccessible(true);
        Map<String, Integer> before = new java.util.HashMap<>();
        for (Map.Entry<String, Logger> e : loggers.entrySet()) {
            if (e.getKey().startsWith("org.flywaydb")) {
                before.put(e.getKey(), level.getInt(e.getValue()));
                level.setInt(e.getValue(), 20); // LOG_LEVEL_INFO
            }
        }
        assertThat(before).as("Flyway's SLF4J loggers").isNotEmpty();
        try {
            return io.ampora.dbguard.testing.Stderr.capture(run::run);
        } finally {
            for (Map.Entry<String, Integer> e : before.entrySet()) {
                level.setInt(loggers.get(e.getKey()), e.getValue());
            }
        }
    }
}
