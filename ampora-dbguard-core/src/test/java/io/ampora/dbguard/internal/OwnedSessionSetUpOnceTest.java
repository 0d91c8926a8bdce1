package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Counted by PostgreSQL itself (pg_stat_statements, utility statements included): a guard built from a URL
 * owns its connections and sets the read-only default and the timeouts once per physical connection, so its
 * checks' transactions begin with their own query; a guard on the user's DataSource sets them locally in
 * every session (the connection goes back to the pool unchanged). Each check is read-only and bounded either way.
 */
@WithPostgres(settings = {"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track_utility=on"})
class OwnedSessionSetUpOnceTest {

    private static final String SET_CONFIG = "pg_catalog.set_config(";
    private static final String SET_TRANSACTION = "SET TRANSACTION READ ONLY";

    @Test
    void urlGuardSetsItsConnectionsSessionOnceAndAPoolGuardSetsEverySessionLocally(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        List<DatabaseCheck> checks = IntStream.range(0, 8).mapToObj(i -> (DatabaseCheck) new Bounds("bounds-" + i)).toList();

        db.execute("SELECT pg_stat_statements_reset()");
        Report owned = DbGuard.builder().jdbcUrl(db.jdbcUrl()).user(db.server().adminUser())
                .password(db.server().adminPassword()).checks(checks).maxConcurrency(1)
                .checkTimeout(Duration.ofSeconds(7)).build().report();
        long ownedSetConfig = db.statementCalls(SET_CONFIG);
        long ownedSetTransaction = db.statementCalls(SET_TRANSACTION);

        db.execute("SELECT pg_stat_statements_reset()");
        Report borrowed = DbGuard.builder().dataSource(db.dataSource()).checks(checks).maxConcurrency(1)
                .checkTimeout(Duration.ofSeconds(7)).build().report();
        long borrowedSetConfig = db.statementCalls(SET_CONFIG);
        long borrowedSetTransaction = db.statementCalls(SET_TRANSACTION);

        for (Report report : List.of(owned, borrowed)) {
            assertThat(report.checks()).hasSize(8).allSatisfy(r -> {
                assertThat(r.status()).as(r.summary()).isEqualTo(CheckStatus.PASS);
                assertThat(r.summary()).isEqualTo("on 7s 1s ampora-dbguard");
            });
        }
        assertThat(ownedSetConfig).as("one physical connection, set once (the facts session and 8 checks on it)")
                .isEqualTo(1);
        assertThat(ownedSetTransaction).as("no per-transaction set-up on an owned connection").isZero();
        assertThat(borrowedSetConfig).as("the facts session and 8 checks, each set locally").isEqualTo(9);
        assertThat(borrowedSetTransaction).isEqualTo(9);
    }

    /** Says its transaction's read-only flag, statement_timeout, lock_timeout and application_name. */
    static final class Bounds extends NamedTestCheck {
        Bounds(String id) {
            super(id, "says the bounds of its session");
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            try (Statement st = context.connection().createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_setting('transaction_read_only'),"
                         + " current_setting('statement_timeout'), current_setting('lock_timeout'),"
                         + " current_setting('application_name')")) {
                rs.next();
                return CheckResult.pass(this, rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " "
                        + rs.getString(4));
            }
        }
    }
}
