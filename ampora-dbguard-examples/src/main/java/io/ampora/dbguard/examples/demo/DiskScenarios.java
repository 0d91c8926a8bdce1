package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.util.List;

/** Runbook section 6: disk full. */
final class DiskScenarios {

    private DiskScenarios() {
    }

    static List<Scenario> all() {
        return List.of(new Simple("big-table", RunbookSection.DISK_FULL, "disk-usage",
                "audit_event_archive grew to 50 MB with no retention, on a 64 MB volume", env -> {
                    env.admin("INSERT INTO audit_event_archive (tenant_id, event, payload)"
                            + " SELECT '" + DemoEnvironment.TENANT_A + "', 'order.viewed', repeat(md5(i::text), 14)"
                            + " FROM generate_series(1, 100000) AS i");
                    try {
                        return env.guardAsApp().build().report();
                    } finally {
                        env.awaitTableStats("audit_event_archive", "n_tup_ins", 100_000);
                        env.admin("TRUNCATE audit_event_archive");
                        env.admin("ANALYZE audit_event_archive");
                    }
                }));
    }
}
