package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.examples.demo.ConnectionScenarios.Simple;
import java.time.Duration;
import java.util.List;

/** Runbook section 5, replica lag, and a standby where the primary should be (section 1: it connects, writes fail). */
final class ReplicaScenarios {

    private ReplicaScenarios() {
    }

    static List<Scenario> all() {
        return List.of(new Simple("replica-lag", RunbookSection.REPLICA_LAG, "replica-lag",
                "a real streaming replica of the demo database stops replaying while the primary takes orders", env -> {
                    try (DemoStandby standby = DemoStandby.start(env)) {
                        env.admin("UPDATE tenants SET name = name");
                        standby.awaitReplayed(Duration.ofSeconds(15));
                        standby.query("SELECT pg_catalog.pg_wal_replay_pause()");
                        try {
                            env.admin("INSERT INTO orders (tenant_id, customer, total_cents) VALUES ('"
                                    + DemoEnvironment.TENANT_A + "', 'Edsger', 700)");
                            Thread.sleep(1_500);
                            env.admin("INSERT INTO orders (tenant_id, customer, total_cents) VALUES ('"
                                    + DemoEnvironment.TENANT_B + "', 'Barbara', 300)");
                            return env.guardAsApp().replicaJdbcUrl(standby.jdbcUrl()).build().report();
                        } finally {
                            standby.query("SELECT pg_catalog.pg_wal_replay_resume()");
                        }
                    }
                }),
                new Simple("stale-primary", RunbookSection.CANNOT_CONNECT, "connectivity",
                        "after a failover the application's URL still names the old primary, now a standby: it connects,"
                                + " and every write fails", env -> {
                    try (DemoStandby standby = DemoStandby.start(env)) {
                        env.admin("UPDATE tenants SET name = name");
                        standby.awaitReplayed(Duration.ofSeconds(15));
                        return env.guardAsApp().jdbcUrl(standby.jdbcUrl()).build().report();
                    }
                }));
    }
}
