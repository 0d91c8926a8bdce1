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
import io.ampora.dbguard.testing.UnknownPool;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Counted by PostgreSQL itself (pg_stat_statements, utility statements included): every session of a report sets
 * its read-only flag and timeouts locally in its transaction, on a connection borrowed from the user's pool as on
 * one the report keeps (a guard built from a URL, a non-pooled DataSource), so nothing is left at session level on
 * a server session that PgBouncer could hand to the application ({@link UrlGuardThroughPgBouncerTest}).
 */
@WithPostgres(settings = {"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track_utility=on"})
class EverySessionBoundedLocallyTest {

    private static final String SET_CONFIG = "pg_catalog.set_config(";
    private static final String SET_TRANSACTION = "SET TRANSACTION READ ONLY";

    @Test
    void everySessionSetsItsBoundsLocallyWhereverItsConnectionComesFrom(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        List<DatabaseCheck> checks = IntStream.range(0, 8).mapToObj(i -> (DatabaseCheck) new Bounds("bounds-" + i)).toList();
        Map<String, DbGuard.Builder> guards = new LinkedHashMap<>();
        guards.put("url", DbGuard.builder().jdbcUrl(db.jdbcUrl()).user(db.server().adminUser())
                .password(db.server().adminPassword()));
        guards.put("non-pooled", DbGuard.builder().dataSource(db.dataSource()));
        guards.put("pool", DbGuard.builder().dataSource(UnknownPool.of(db.dataSource())));

        for (Map.Entry<String, DbGuard.Builder> guard : guards.entrySet()) {
            db.execute("SELECT pg_stat_statements_reset()");
            Report report = guard.getValue().checks(checks).maxConcurrency(1).checkTimeout(Duration.ofSeconds(7))
                    .build().report();

            assertThat(report.checks()).as(guard.getKey()).hasSize(8).allSatisfy(r -> {
                assertThat(r.status()).as(r.summary()).isEqualTo(CheckStatus.PASS);
                assertThat(r.summary()).isEqualTo("on 7s 1s ampora-dbguard");
            });
            assertThat(db.statementCalls(SET_TRANSACTION)).as("%s: the facts session and 8 checks, each set locally",
                    guard.getKey()).isEqualTo(9);
            assertThat(db.statementCalls(SET_CONFIG)).as("%s: and never once at session level", guard.getKey())
                    .isEqualTo(9);
        }
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
