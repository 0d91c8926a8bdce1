package io.ampora.dbguard.testing;

import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import javax.sql.DataSource;

/**
 * A DataSource the guard does not know, standing for the user's pool: the guard takes a connection per check
 * from it and gives it back by {@code close()}, as from HikariCP or any other pool. Backed by a non-pooled
 * DataSource, so each borrow is a new physical connection a test can tell apart by its backend pid.
 */
public final class UnknownPool extends DelegatingDataSource {

    private UnknownPool(DataSource target) {
        super(target);
    }

    /**
     * @param target where the connections come from
     * @return a DataSource the guard treats as a pool
     */
    public static UnknownPool of(DataSource target) {
        return new UnknownPool(target);
    }
}
