package io.ampora.dbguard.flyway.internal;

import org.flywaydb.core.api.logging.Log;
import org.flywaydb.core.api.logging.LogCreator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flyway's logging while a guard check reads its status: warnings and errors go to SLF4J under Flyway's own
 * logger names, its INFO chatter ("Database: ...", "Environment: default", once per check and run) goes at
 * DEBUG. Named to Flyway by class name ({@code loggers(...)}), so it needs a public no-argument constructor.
 */
public final class QuietFlywayLogCreator implements LogCreator {

    /** Creates the creator; Flyway instantiates it by name. */
    public QuietFlywayLogCreator() {
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
                logger.debug(message);
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
                logger.debug(message);
            }
        };
    }
}
