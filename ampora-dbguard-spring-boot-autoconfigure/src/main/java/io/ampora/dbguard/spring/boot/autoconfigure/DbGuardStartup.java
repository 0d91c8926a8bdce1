package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardVerificationException;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.micrometer.DbGuardMetrics;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.report.Report;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;

/**
 * The startup sequence: the checks that predict a failed migration run before Flyway migrates
 * ({@link #beforeMigration()}, called by {@link FlywayMigrationGate}); every startup-critical check runs once
 * every singleton exists, so after the migration and before the web server starts and the application reports
 * ready. The monitor starts once the context refreshed ({@link #onApplicationEvent}). A failure stops the context with a {@link DbGuardVerificationException} that
 * {@link DbGuardFailureAnalyzer} turns into Boot's "Description / Action" report; with
 * {@code ampora.dbguard.verify-on-startup=false} the report is logged instead.
 */
final class DbGuardStartup implements SmartInitializingSingleton, ApplicationListener<ContextRefreshedEvent>,
        ApplicationContextAware {

    /** The checks whose failure means Flyway's migrate would fail or hang: run before it. */
    static final Set<String> BEFORE_MIGRATION = Set.of("connectivity", "migration-lock", "migration-permissions",
            "schema-version");

    private static final Logger LOG = LoggerFactory.getLogger(DbGuardStartup.class);

    private final DbGuard guard;
    private final ObjectProvider<DbGuardMonitor> monitor;
    private final DbGuardProperties properties;
    private final DbGuardDataSources layers;
    private ApplicationContext context;

    DbGuardStartup(DbGuard guard, ObjectProvider<DbGuardMonitor> monitor, DbGuardProperties properties,
                   DbGuardDataSources layers) {
        this.guard = guard;
        this.monitor = monitor;
        this.properties = properties;
        this.layers = layers;
    }

    /** Runs the pre-migration checks; throws when one fails and verification is on. */
    void beforeMigration() {
        List<String> ids = guard.checks().stream().map(DatabaseCheck::id).filter(BEFORE_MIGRATION::contains).toList();
        if (ids.isEmpty()) {
            return;
        }
        verify(guard.report(ids), "before Flyway migrates");
    }

    @Override
    public void setApplicationContext(ApplicationContext applicationContext) {
        this.context = applicationContext;
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<String> ids = guard.checks().stream().filter(DatabaseCheck::startupCritical).map(DatabaseCheck::id).toList();
        verify(guard.report(ids), "at startup");
    }

    /**
     * Starts the monitor (a lazy bean) once the context refreshed, so after the startup checks passed and the web
     * server started: its first run (every check) then runs in the background without competing with the startup
     * checks or the rest of the start for the database and the CPU, and it is never started for a context that
     * fails to start. Readiness stays DOWN until that first run completes. Binds the monitor's gauges.
     */
    @Override
    public void onApplicationEvent(ContextRefreshedEvent event) {
        if (event.getApplicationContext() != context) {
            return; // a child context's refresh
        }
        DbGuardMonitor running = monitor.getIfAvailable();
        if (running != null && DbGuardDataSources.MICROMETER && properties.getMetrics().isEnabled()) {
            Gauges.bind(running, layers);
        }
    }

    private void verify(Report report, String when) {
        List<CheckResult> failed = report.checks().stream()
                .filter(r -> r.status() == CheckStatus.FAIL || (guard.unknownIsFailure() && r.status() == CheckStatus.UNKNOWN))
                .toList();
        if (failed.isEmpty()) {
            report.checks().stream().filter(r -> r.status() == CheckStatus.WARN || r.status() == CheckStatus.UNKNOWN)
                    .forEach(r -> LOG.warn("Database check {} is {} {}: {} {}", r.checkId(), r.status(), when,
                            r.summary(), r.remediation()));
            LOG.info("Database verified {} in {} ms: {}", when, report.duration().toMillis(), report.status());
            return;
        }
        DbGuardVerificationException failure = new DbGuardVerificationException(report, failed);
        if (properties.isVerifyOnStartup()) {
            throw failure;
        }
        LOG.error("{} (ampora.dbguard.verify-on-startup=false: starting anyway)\n{}", failure.getMessage(), report.toText());
    }

    /** Micrometer: only loaded when present. */
    private static final class Gauges {
        static void bind(DbGuardMonitor monitor, DbGuardDataSources layers) {
            layers.meterRegistry().ifPresent(r -> DbGuardMetrics.bind(monitor, (MeterRegistry) r));
        }
    }
}
