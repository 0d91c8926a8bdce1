package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PgBouncer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A guard built from a URL that points at PgBouncer in transaction mode (the doctor or the monitor given the
 * application's connection string): PgBouncer hands each transaction whichever server session is free and
 * resets nothing between clients, so whatever the guard sets at session level stays on a server session the
 * application gets next. With one server session, the application's next transaction runs on the guard's.
 */
@WithPostgres
class UrlGuardThroughPgBouncerTest {

    @Test
    void urlGuardThroughPgBouncerInTransactionModeLeavesTheSharedServerSessionAsItFoundIt(TestDatabase db)
            throws Exception {
        PgBouncer.assumeInstalled();
        String user = db.server().adminUser();
        try (PgBouncer bouncer = PgBouncer.start(db.server().port(), db.name(), user, 1)) {
            String url = bouncer.jdbcUrl(db.name()) + "?prepareThreshold=0";
            List<DatabaseCheck> checks = IntStream.range(0, 4)
                    .mapToObj(i -> (DatabaseCheck) new EverySessionBoundedLocallyTest.Bounds("bounds-" + i)).toList();

            Report report = DbGuard.builder().jdbcUrl(url).user(user).password(db.server().adminPassword())
                    .checks(checks).maxConcurrency(1).checkTimeout(Duration.ofSeconds(7)).build().report();

            assertThat(report.checks()).hasSize(4).allSatisfy(r -> {
                assertThat(r.status()).as(r.summary()).isEqualTo(CheckStatus.PASS);
                assertThat(r.summary()).as("each check's transaction is read-only and bounded")
                        .isEqualTo("on 7s 1s ampora-dbguard");
            });
            PGSimpleDataSource application = new PGSimpleDataSource();
            application.setUrl(url);
            application.setUser(user);
            application.setPassword(db.server().adminPassword());
            try (Connection c = application.getConnection(); Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT current_setting('default_transaction_read_only'),"
                        + " current_setting('statement_timeout'), current_setting('lock_timeout'),"
                        + " current_setting('idle_in_transaction_session_timeout'), current_setting('application_name')")) {
                    rs.next();
                    assertThat(List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)))
                            .as("the server session the application got after the guard")
                            .containsExactly("off", "0", "0", "0", "PostgreSQL JDBC Driver");
                }
                st.execute("CREATE TABLE written_after_the_guard (id int)");
                st.execute("INSERT INTO written_after_the_guard VALUES (1)");
            }
        }
    }
}
