package io.ampora.dbguard.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The monitor schedules a check by its declared scope and cost; the SPI's defaults exist for third-party
 * checks, not for ours. A runbook check that forgets to declare them would run database-wide every 30 s,
 * a catalog scan included: fail here instead, naming it.
 */
class CheckScheduleDeclarationsTest {

    @Test
    void everyShippedCheckDeclaresItsScopeAndCost() throws NoSuchMethodException {
        List<String> undeclared = new ArrayList<>();
        for (DatabaseCheck check : DbGuard.discoverChecks()) {
            if (check.getClass().getMethod("scope").getDeclaringClass() == DatabaseCheck.class
                    || check.getClass().getMethod("cost").getDeclaringClass() == DatabaseCheck.class) {
                undeclared.add(check.id());
            }
        }

        assertThat(undeclared).as("checks inheriting the SPI's default scope() or cost()").isEmpty();
    }

    @Test
    void whatARestoreLeavesIsReportedWithoutTakingEveryInstanceOutOfTheLoadBalancer() {
        for (DatabaseCheck check : DbGuard.discoverChecks()) {
            if (List.of("collation-versions", "sequence-behind-data", "extension-versions", "missing-statistics").contains(check.id())) {
                assertThat(check.probes()).as(check.id()).isEmpty();
            }
        }
    }

    @Test
    void databaseWideConditionsLeaveReadinessAloneAndStartupOnlyWhenStartupCritical() {
        List<String> discovered = new ArrayList<>();
        for (DatabaseCheck check : DbGuard.discoverChecks()) {
            discovered.add(check.id());
            if (check.scope() == CheckScope.DATABASE) {
                assertThat(check.probes()).as(check.id()).doesNotContain(Probe.READINESS, Probe.LIVENESS);
                assertThat(check.probes().contains(Probe.STARTUP)).as(check.id() + " affects startup")
                        .isEqualTo(check.startupCritical());
            } else {
                assertThat(check.probes()).as(check.id()).doesNotContain(Probe.LIVENESS);
            }
        }
        assertThat(discovered).contains("blocking-locks", "long-transactions", "disk-usage", "table-bloat");
    }

    @Test
    void catalogScansRunRarelyAndPerInstanceChecksEveryInterval() {
        for (DatabaseCheck check : DbGuard.discoverChecks()) {
            if (List.of("table-bloat", "index-bloat", "duplicate-indexes", "unused-indexes",
                    "tables-without-primary-key", "fk-index", "missing-statistics").contains(check.id())) {
                assertThat(check.cost()).as(check.id()).isEqualTo(CheckCost.EXPENSIVE);
                assertThat(check.scope()).as(check.id()).isEqualTo(CheckScope.DATABASE);
            }
            if (List.of("connectivity", "tls").contains(check.id())) {
                assertThat(check.scope()).as(check.id()).isEqualTo(CheckScope.INSTANCE);
            }
        }
    }
}
