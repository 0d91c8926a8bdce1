package io.ampora.dbguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.monitor.ResultOrigin.Source;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.PgBouncer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fleet monitor given the application's DataSource, which goes through PgBouncer in transaction mode: the
 * fleet channel's advisory locks, LISTEN and session settings need a server session of its own, which a pooler
 * does not give. The channel must see that before it changes anything (PgBouncer keeps session state on the
 * server session for the next client) and leave the fleet off on that instance, saying why and what to do.
 */
@WithPostgres
class FleetBehindPgBouncerTest {

    @Test
    void fleetBehindPgBouncerStaysOffAndLeavesNoLockOrSettingOnTheApplicationsServerSession(TestDatabase db)
            throws Exception {
        PgBouncer.assumeInstalled();
        String user = db.server().adminUser();
        try (PgBouncer bouncer = PgBouncer.start(db.server().port(), db.name(), user, 1)) {
            PGSimpleDataSource viaBouncer = new PGSimpleDataSource();
            viaBouncer.setUrl(bouncer.jdbcUrl(db.name()) + "?prepareThreshold=0");
            viaBouncer.setUser(user);
            viaBouncer.setPassword(db.server().adminPassword());
            DbGuard guard = DbGuard.builder().dataSource(viaBouncer).only(List.of("connectivity", "long-transactions"))
                    .build();

            try (DbGuardMonitor monitor = guard.monitor(MonitorConfig.builder().defaultInterval(Duration.ofSeconds(1))
                    .fleet("orders").instance("pod-1").build())) {
                Await.until("a result of the database-wide check", Duration.ofSeconds(30),
                        () -> monitor.origins().containsKey("long-transactions"));
                ResultOrigin origin = monitor.origins().get("long-transactions");
                assertThat(origin.source()).isEqualTo(Source.FALLBACK);
                assertThat(origin.note()).contains("fleet channel is down", "connection pooler",
                        "DbGuard.builder().jdbcUrl(...)");
                assertThat(monitor.lastReport().orElseThrow().result("long-transactions").orElseThrow().status())
                        .as("the check still runs, on this instance").isNotNull();
            }

            try (Connection direct = db.dataSource().getConnection(); Statement st = direct.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("advisory locks left on the server").isZero();
            }
            try (Connection application = viaBouncer.getConnection(); Statement st = application.createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_setting('default_transaction_read_only'),"
                         + " current_setting('idle_session_timeout', true), current_setting('application_name')")) {
                rs.next();
                assertThat(rs.getString(1)).as("the application's next transaction may write").isEqualTo("off");
                assertThat(rs.getString(2)).isIn("0", null);
                assertThat(rs.getString(3)).isNotEqualTo("ampora-dbguard-fleet");
            }
        }
    }
}
