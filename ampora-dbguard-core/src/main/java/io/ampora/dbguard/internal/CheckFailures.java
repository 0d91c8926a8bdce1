package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns what a check threw into an UNKNOWN result that says why in words a user can act on. */
final class CheckFailures {

    private static final Logger LOG = LoggerFactory.getLogger(CheckFailures.class);

    private CheckFailures() {
    }

    static CheckResult unknown(DatabaseCheck check, Throwable t, Duration budget, SecretMasker masker) {
        SQLException sql = findSql(t);
        String state = sql == null ? null : sql.getSQLState();
        CheckResult.Builder b = CheckResult.builder(check).status(CheckStatus.UNKNOWN);
        if ("57014".equals(state)) {
            return b.summary("Cut off by statement_timeout after " + SettingValues.format(budget) + ".")
                    .remediation("Raise the check timeout if the catalog is very large, or look for what slows it down.")
                    .build();
        }
        if ("55P03".equals(state)) {
            return b.summary("Blocked by a lock held by another session; gave up at lock_timeout: " + sql.getMessage())
                    .remediation("See the blocking-locks check for the session holding the lock.")
                    .build();
        }
        if ("42501".equals(state)) {
            return b.summary("No privilege to look: " + sql.getMessage())
                    .remediation("Grant the guard's role pg_monitor (GRANT pg_monitor TO <role>) to let it see.")
                    .build();
        }
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
            return b.summary("Lost the connection while checking: " + sql.getMessage() + " (SQLState " + state + ")")
                    .remediation("See the connectivity check.")
                    .build();
        }
        if (sql != null) {
            LOG.warn("Check {} failed with SQLState {}: {}", check.id(), state, masker.mask(sql.getMessage()));
            return b.summary("Query failed: " + sql.getMessage() + (state == null ? "" : " (SQLState " + state + ")"))
                    .remediation("This is likely a bug in the check on this PostgreSQL version; please report it with this message.")
                    .build();
        }
        LOG.warn("Check {} failed: {}", check.id(), masker.mask(String.valueOf(t)));
        LOG.debug("Check {} stack", check.id(), t);
        return b.summary("The check failed: " + t)
                .remediation("This is a bug in the check; please report it with this message.")
                .build();
    }

    private static SQLException findSql(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException s) {
                return s;
            }
        }
        return null;
    }
}
