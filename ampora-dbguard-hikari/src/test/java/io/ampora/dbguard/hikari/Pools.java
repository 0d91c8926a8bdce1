package io.ampora.dbguard.hikari;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.testing.Await;
import io.ampora.dbguard.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Test helpers: HikariCP pools on a test database, and bounded waits. */
final class Pools {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private Pools() {
    }

    static HikariDataSource hikari(TestDatabase db, int maxPoolSize, long connectionTimeoutMillis) {
        return hikari(db, db.server().adminUser(), db.server().adminPassword(), maxPoolSize, connectionTimeoutMillis);
    }

    static HikariDataSource hikari(TestDatabase db, String user, String password, int maxPoolSize, long connectionTimeoutMillis) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.jdbcUrl());
        c.setUsername(user);
        if (password != null && !password.isEmpty()) {
            c.setPassword(password);
        }
        c.setMaximumPoolSize(maxPoolSize);
        c.setMinimumIdle(0);
        c.setConnectionTimeout(connectionTimeoutMillis);
        c.setPoolName("test-" + COUNTER.incrementAndGet());
        c.addDataSourceProperty("ApplicationName", "guarded-test");
        return new HikariDataSource(c);
    }

    static boolean await(Duration max, BooleanSupplier condition) throws InterruptedException {
        return Await.holds(max, condition::getAsBoolean);
    }

    /** @return a listener that adds every leak report to {@code into} */
    static PoolListener leaksInto(List<LeakReport> into) {
        return new PoolListener() {
            @Override
            public void onLeak(LeakReport report) {
                into.add(report);
            }
        };
    }

    /** @return a listener that adds every exhaustion diagnosis to {@code into} */
    static PoolListener exhaustionsInto(List<PoolDiagnosis> into) {
        return new PoolListener() {
            @Override
            public void onExhausted(PoolDiagnosis diagnosis) {
                into.add(diagnosis);
            }
        };
    }
}
