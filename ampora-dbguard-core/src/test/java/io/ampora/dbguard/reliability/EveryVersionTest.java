package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every discovered check on every supported PostgreSQL (13 to 18), one embedded server per version in this
 * JVM, on a small schema with FKs, jsonb, partitions, a sequence and weird identifiers; plus the lock
 * scenario on each version. No check may error on any of them.
 */
class EveryVersionTest {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"13", "14", "15", "16", "17", "18"})
    void everyCheckRunsWithoutErrorOnEverySupportedVersion(String major) throws Exception {
        Assumptions.assumeTrue(PostgresServers.embedded(), "needs the embedded servers to pick a version");
        long t0 = System.nanoTime();
        PostgresServer server = PostgresServers.get(ServerSpec.defaults().onVersion(major));
        long started = System.nanoTime();
        try (TestDatabase db = TestDatabase.create(server, EveryVersionTest.class)) {
            db.execute(SchemaFixtures.SMALL);
            assertThat(db.queryString("SHOW server_version_num")).startsWith(major);

            Report report = EveryCheck.run(db.dataSource(), "PostgreSQL " + major);
            EveryCheck.assertNoCheckErrors(report);
            assertThat(report.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);

            lockedCheckIsCutOffByLockTimeout(db);
        }
        long done = System.nanoTime();
        System.out.printf("PostgreSQL %s: server ready in %d ms, schema + every check + lock scenario in %d ms%n",
                major, (started - t0) / 1_000_000, (done - started) / 1_000_000);
    }

    private static void lockedCheckIsCutOffByLockTimeout(TestDatabase db) throws Exception {
        try (Connection holder = db.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("LOCK TABLE public.events IN ACCESS EXCLUSIVE MODE");
            }
            DatabaseCheck blocked = new NetworkFaultTest.TestCheck("reads-locked-table") {
                @Override
                public CheckResult run(CheckContext context) throws Exception {
                    try (Statement st = context.connection().createStatement();
                         ResultSet rs = st.executeQuery("SELECT count(*) FROM public.events")) {
                        rs.next();
                        return CheckResult.pass(this, rs.getLong(1) + " rows");
                    }
                }
            };
            List<DatabaseCheck> checks = new ArrayList<>(DbGuard.discoverChecks());
            checks.add(blocked);
            Report report = DbGuard.builder().dataSource(db.dataSource()).checks(checks)
                    .checkTimeout(Duration.ofSeconds(5)).build().report();
            assertThat(report.result("reads-locked-table").orElseThrow().summary())
                    .startsWith("Blocked by a lock held by another session");
            holder.rollback();
        }
    }
}
