package io.ampora.dbguard.examples.demo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Every demo scenario, in runbook order. */
public final class Scenarios {

    private Scenarios() {
    }

    /** @return the scenarios whose checks exist in this build */
    public static List<Scenario> all() {
        List<Scenario> all = new ArrayList<>(ConnectionScenarios.all());
        all.addAll(MigrationScenarios.all());
        all.addAll(QueryScenarios.all());
        all.addAll(PoolScenarios.all());
        all.addAll(ReplicaScenarios.all());
        all.addAll(DiskScenarios.all());
        all.addAll(LockScenarios.all());
        all.addAll(TenantScenarios.all());
        all.addAll(HygieneScenarios.all());
        all.sort(Comparator.comparing(Scenario::runbook));
        return List.copyOf(all);
    }

    /**
     * @param name a scenario name
     * @return the scenario, empty when unknown
     */
    public static Optional<Scenario> named(String name) {
        return all().stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
