package io.ampora.dbguard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.TestDatabase;
import java.util.Locale;

/**
 * Where a measured guard gets its connections, the three ways the report benchmarks compare: {@code pool} (a
 * HikariCP pool of 4, what a service has), {@code url} (the guard connects itself and keeps its connections across
 * the checks of a report, what the doctor does) or {@code simple} (a non-pooled DataSource: a new physical
 * connection, and a backend whose catalog caches start empty, for every check).
 */
enum GuardConnections {
    SIMPLE, URL, POOL;

    /**
     * @param name {@code simple}, {@code url} or {@code pool}
     * @return the source
     * @throws IllegalArgumentException for any other name
     */
    static GuardConnections parse(String name) {
        for (GuardConnections source : values()) {
            if (source.name().toLowerCase(Locale.ROOT).equals(name)) {
                return source;
            }
        }
        throw new IllegalArgumentException("source is simple, url or pool, not " + name);
    }

    /**
     * Points the builder at the test database through this source.
     *
     * @param builder  the guard's builder
     * @param db       the database
     * @param server   its server (the URL source logs in as its administrator)
     * @param poolName the HikariCP pool's name
     * @return the pool the caller closes when done, or null when this source has none
     */
    HikariDataSource apply(DbGuard.Builder builder, TestDatabase db, PostgresServer server, String poolName) {
        switch (this) {
            case SIMPLE -> builder.dataSource(db.dataSource());
            case URL -> builder.jdbcUrl(db.jdbcUrl()).user(server.adminUser()).password(server.adminPassword());
            case POOL -> {
                HikariConfig config = new HikariConfig();
                config.setDataSource(db.dataSource());
                config.setMaximumPoolSize(4);
                config.setPoolName(poolName);
                HikariDataSource pool = new HikariDataSource(config);
                builder.dataSource(pool);
                return pool;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
