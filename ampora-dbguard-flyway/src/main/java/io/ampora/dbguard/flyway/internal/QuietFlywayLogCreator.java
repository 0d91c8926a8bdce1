package io.ampora.dbguard.flyway.internal;

import java.util.concurrent.Callable;
import org.flywaydb.core.api.logging.Log;
import org.flywaydb.core.api.logging.LogCreator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flyway's logging through SLF4J under Flyway's own logger names, with its INFO chatter ("Database: ...",
 * "Environment: default", once per check and run) at DEBUG while a guard check reads the migration status
 * ({@link #quietly}), and at INFO otherwise. Named to Flyway by class name ({@code loggers(...)}), so it needs a
 * public no-argument constructor.
 *
 * <p>Why only while a check reads: Flyway's log configuration is global. Each {@code Flyway} instance makes its
 * own configuration the one every Flyway logger uses from then on, so the application's own migration, run
 * after the guard's pre-migration checks (the Spring Boot starter's order), logged through this creator too and
 * lost its INFO lines ("Successfully applied 3 migrations"). Quiet per thread and per call, the application's
 * Flyway logs at INFO as with Flyway's own SLF4J logging.
 */
public final class QuietFlywayLogCreator implements LogCreator {

    private static final ThreadLocal<Boolean> QUIET = new ThreadLocal<>();

    /** Creates the creator; Flyway instantiates it by name. */
    public QuietFlywayLogCreator() {
    }

    /**
     * Runs a guard check's Flyway calls with Flyway's INFO lines at DEBUG on this thread.
     *
     * @param call the Flyway calls
     * @return their result
     * @param <T>  the result type
     * @throws Exception what the call threw
     */
    public static <T> T quietly(Callable<T> call) throws Exception {
        Boolean before = QUIET.get();
        QUIET.set(Boolean.TRUE);
        try {
            return call.call();
        } finally {
            if (before == null) {
                QUIET.remove();
            } else {
                QUIET.set(before);
            }
        }
    }

    private static boolean quiet() {
        return QUIET.get() != null;
    }

    @Override
    public Log createLogger(Class<?> clazz) {
        Logger logger = LoggerFactory.getLogger(clazz);
        return new Log() {
            @Override
            public boolean isDebugEnabled() {
                return logger.isDebugEnabled();
            }

            @Override
            public void debug(String message) {
                logger.debug(message);
            }

            @Override
            public void info(String message) {
                if (quiet()) {
                    logger.debug(message);
                } else {
                    logger.info(message);
                }
            }

            @Override
            public void warn(String message) {
                logger.warn(message);
            }

            @Override
            public void error(String message) {
                logger.error(message);
            }

            @Override
            public void error(String message, Exception e) {
                logger.error(message, e);
            }

            @Override
            public void notice(String message) {
                info(message);
            }
        };
    }
}
