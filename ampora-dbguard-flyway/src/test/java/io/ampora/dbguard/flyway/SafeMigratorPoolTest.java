package io.ampora.dbguard.flyway;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safe runner given the application's own HikariCP pool, as Spring Boot's Flyway is: the sessions it set a
 * migration's {@code lock_timeout} on go back to the pool, which does not reset session settings. The
 * application's own statements on those connections must not give up after the migration's lock_timeout.
 */
@WithPostgres
class SafeMigratorPoolTest {

    @Test
    void migrationThroughTheApplicationsPoolGivesItsConnectionsBackWithTheirOwnLockTimeout(TestDatabase db,
            @TempDir Path dir) throws Exception {
        Path migrations = SafeMigratorTest.migrations(dir);
        for (boolean autoCommit : List.of(true, false)) {
            String schema = autoCommit ? "pool_autocommit" : "pool_transactions";
            HikariConfig config = new HikariConfig();
            config.setDataSource(db.dataSource());
            config.setMaximumPoolSize(3);
            config.setMinimumIdle(3);
            config.setAutoCommit(autoCommit);
            config.setPoolName("application-" + schema);
            try (HikariDataSource pool = new HikariDataSource(config)) {
                var result = SafeMigratorTest.guard(migrations, schema).safeMigrator()
                        .lockTimeout(Duration.ofMillis(1500)).migrate(pool);
                assertThat(result.migrationsExecuted).isEqualTo(2);

                List<Connection> all = new ArrayList<>();
                List<String> lockTimeouts = new ArrayList<>();
                try {
                    for (int i = 0; i < 3; i++) {
                        all.add(pool.getConnection());
                    }
                    for (Connection c : all) {
                        try (Statement st = c.createStatement();
                             ResultSet rs = st.executeQuery("SELECT current_setting('lock_timeout')")) {
                            rs.next();
                            lockTimeouts.add(rs.getString(1));
                        }
                    }
                } finally {
                    for (Connection c : all) {
                        c.close();
                    }
                }
                assertThat(lockTimeouts).as("lock_timeout of every pooled connection after the migration (autoCommit %s)",
                        autoCommit).containsOnly("0");
            }
        }
    }
}
