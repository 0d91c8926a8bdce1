package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.report.JsonReportRenderer;
import io.ampora.dbguard.report.Report;
import java.util.function.Supplier;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code dbguard} Actuator endpoint ({@code /actuator/dbguard} once exposed with
 * {@code management.endpoints.web.exposure.include}): the monitor's last full report, in the JSON the doctor
 * prints with {@code --format json}. Before the monitor's first run completes, it runs the checks once.
 */
@Endpoint(id = "dbguard")
public class DbGuardEndpoint {

    private final Supplier<DbGuardMonitor> monitor;

    /** @param monitor the running monitor */
    public DbGuardEndpoint(DbGuardMonitor monitor) {
        this.monitor = () -> monitor;
    }

    /** @param monitor the monitor, resolved at the first request (the starter's monitor bean is lazy) */
    DbGuardEndpoint(Supplier<DbGuardMonitor> monitor) {
        this.monitor = monitor;
    }

    /** @return the report as JSON text */
    @ReadOperation(produces = "application/json")
    public String report() {
        DbGuardMonitor running = monitor.get();
        Report report = running.lastReport().orElseGet(running::refresh);
        return new JsonReportRenderer().render(report);
    }
}
