package io.ampora.dbguard.monitor;

import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.report.Report;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;

/**
 * What a {@link DbGuardMonitor} needs from a guard: its checks, a way to run some of them, and the few
 * options the monitor's merged report and fleet coordination use. {@link io.ampora.dbguard.DbGuard}
 * implements it; the monitor depends on this interface only, so the guard and its monitor do not depend
 * on each other.
 */
public interface MonitoredGuard {

    /** @return the checks the guard runs, in report order */
    List<DatabaseCheck> checks();

    /**
     * Runs the guard's checks whose ids are given; never throws for a database problem.
     *
     * @param ids check ids, each one of {@link #checks()}
     * @return the report
     */
    Report report(Collection<String> ids);

    /** @return whether UNKNOWN counts as a failure in the report's status and the readiness probe */
    boolean unknownIsFailure();

    /** @return the options handed to checks (application name, production flag, masked connection info) */
    GuardOptions options();

    /** @return the primary's DataSource, where a fleet monitor opens its coordination session */
    DataSource dataSource();
}
