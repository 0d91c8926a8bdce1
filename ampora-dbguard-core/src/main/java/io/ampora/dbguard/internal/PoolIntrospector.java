package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.NoFreePoolConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/**
 * Tells whether a pool the guard could not get a connection from has none free, so that the connectivity
 * check names pool exhaustion (runbook 4) instead of a network timeout (runbook 1). Implemented by sibling
 * modules that know a pool (the HikariCP module), found with {@link ServiceLoader}; core knows no pool.
 */
public interface PoolIntrospector {

    /**
     * @param dataSource the guard's DataSource
     * @param cause      what the guard's attempt ended with, or null when the guard stopped waiting
     * @return the exhaustion when this introspector knows the pool and it has no free connection now
     */
    Optional<NoFreePoolConnectionException> exhausted(DataSource dataSource, Throwable cause);

    /**
     * Asks every introspector on the classpath; one that fails is skipped.
     *
     * @param dataSource the guard's DataSource
     * @param cause      what the attempt ended with, or null
     * @return the first exhaustion an introspector reports
     */
    static Optional<NoFreePoolConnectionException> find(DataSource dataSource, Throwable cause) {
        for (PoolIntrospector introspector : Loaded.ALL) {
            try {
                Optional<NoFreePoolConnectionException> found = introspector.exhausted(dataSource, cause);
                if (found.isPresent()) {
                    return found;
                }
            } catch (RuntimeException | LinkageError e) {
                LoggerFactory.getLogger(PoolIntrospector.class).debug("Pool introspector {} failed", introspector, e);
            }
        }
        return Optional.empty();
    }

    /** The introspectors on the classpath, loaded once. */
    final class Loaded {
        static final List<PoolIntrospector> ALL = load();

        private Loaded() {
        }

        private static List<PoolIntrospector> load() {
            List<PoolIntrospector> found = new ArrayList<>();
            try {
                for (ServiceLoader.Provider<PoolIntrospector> provider : ServiceLoader.load(PoolIntrospector.class,
                        PoolIntrospector.class.getClassLoader()).stream().toList()) {
                    try {
                        found.add(provider.get());
                    } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                        // its module's optional dependency (HikariCP) is not on the classpath
                        LoggerFactory.getLogger(PoolIntrospector.class).debug("Pool introspector not loaded", e);
                    }
                }
            } catch (ServiceConfigurationError e) {
                LoggerFactory.getLogger(PoolIntrospector.class).debug("Pool introspectors not loaded", e);
            }
            return List.copyOf(found);
        }
    }
}
