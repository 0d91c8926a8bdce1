package io.ampora.dbguard.bench.stub;

import com.zaxxer.hikari.HikariConfig;

/**
 * The HikariCP configuration every stub-driver benchmark measures: a fixed-size pool (minimumIdle =
 * maximumPoolSize, so no connection is opened during the measurement) on {@link StubDriver}.
 */
public final class StubPools {

    private StubPools() {
    }

    /**
     * @param size       maximumPoolSize and minimumIdle
     * @param autoCommit HikariCP's autoCommit
     * @param name       the pool name
     * @return the configuration, for the caller to adjust before building the pool
     */
    public static HikariConfig config(int size, boolean autoCommit, String name) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(StubDriver.URL);
        config.setDriverClassName(StubDriver.class.getName());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setAutoCommit(autoCommit);
        config.setPoolName(name);
        return config;
    }
}
