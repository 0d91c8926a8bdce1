package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import io.ampora.dbguard.monitor.ResultOrigin.Source;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.NonResettingPool;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The application's pool, when it resets nothing (DBCP, Tomcat's pool, c3p0, Agroal, Spring's
 * SingleConnectionDataSource): every connection the guard's checks or the fleet channel borrowed comes back as
 * the application had it: autocommit, network timeout (a check's 7 s would cut the application's long queries
 * off), and the session settings the application's pool set up itself.
 */
@WithPostgres
class PooledConnectionsGivenBackAsFoundTest {

    /** What the application's pool set up on each of its connections (its init SQL). */
    private static final String APPLICATION_SETUP = "SET application_name = 'orders-app'; SET statement_timeout = '30s'";
    private static final String STATE = "SELECT current_setting('application_name'), current_setting('statement_timeout'),"
            + " current_setting('lock_timeout'), current_setting('default_transaction_read_only'),"
            + " coalesce(current_setting('idle_session_timeout', true), '0')";

    private static NonResettingPool applicationPool(TestDatabase db, int connections) throws Exception {
        NonResettingPool pool = NonResettingPool.of(db.dataSource());
        Connection[] borrowed = new Connection[connections];
        for (int i = 0; i < connections; i++) {
            borrowed[i] = pool.getConnection();
            try (Statement st = borrowed[i].createStatement()) {
                st.execute(APPLICATION_SETUP);
            }
        }
        for (Connection c : borrowed) {
            c.close();
        }
        return pool;
    }

    private static void assertAsTheApplicationLeftThem(NonResettingPool pool, String what) throws Exception {
        // a report returns once every check has its result; the last session may still be giving its connection back
        Await.until(what + ": every connection back in the pool", Duration.ofSeconds(10), pool::allReturned);
        assertThat(pool.physicalConnections()).as(what).isNotEmpty().allSatisfy(c -> {
            assertThat(c.getAutoCommit()).as("%s: autocommit", what).isTrue();
            assertThat(c.getNetworkTimeout()).as("%s: network timeout", what).isZero();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(STATE)) {
                rs.next();
                assertThat(List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)))
                        .as("%s: session settings", what).containsExactly("orders-app", "30s", "0", "off", "0");
            }
        });
    }

    @Test
    void checksGiveTheApplicationsPooledConnectionsBackWithTheirNetworkTimeoutAndSettings(TestDatabase db)
            throws Exception {
        NonResettingPool pool = applicationPool(db, 2);
        List<DatabaseCheck> checks = IntStream.range(0, 6)
                .mapToObj(i -> (DatabaseCheck) new EverySessionBoundedLocallyTest.Bounds("bounds-" + i)).toList();
        try {
            Report report = DbGuard.builder().dataSource(pool).checks(checks).checkTimeout(Duration.ofSeconds(5))
                    .build().report();

            assertThat(report.checks()).hasSize(6).allSatisfy(r -> assertThat(r.summary())
                    .as("bounded while the check runs").isEqualTo("on 5s 1s ampora-dbguard"));
            assertAsTheApplicationLeftThem(pool, "after a report");
        } finally {
            pool.closeAll();
        }
    }

    @Test
    void fleetChannelGivesTheApplicationsPooledConnectionBackAsItFoundIt(TestDatabase db) throws Exception {
        NonResettingPool pool = applicationPool(db, 3);
        DbGuard guard = DbGuard.builder().dataSource(pool).only(List.of("connectivity", "long-transactions")).build();
        try {
            try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofSeconds(1))
                    .fleet("orders").instance("pod-1").build())) {
                Await.until("the fleet channel elected this instance", Duration.ofSeconds(30),
                        () -> monitor.origins().containsKey("long-transactions")
                                && monitor.origins().get("long-transactions").source() == Source.ELECTED);
            }
            assertAsTheApplicationLeftThem(pool, "after the fleet channel");
            try (Connection c = pool.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("advisory locks left").isZero();
            }
        } finally {
            pool.closeAll();
        }
    }
}
