package io.ampora.dbguard.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.SettingOrder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** query-latency's warnP95 / failP95 are an ordered pair: defaults in order, the wrong order refused at build(). */
class QueryLatencySettingOrderTest {

    private final QueryLatencyCheck check = new QueryLatencyCheck(QueryMetrics.of(new SimpleMeterRegistry()));

    @Test
    void declaresWarnP95BelowFailP95WithDefaultsInOrder() {
        assertThat(check.settingOrders()).singleElement().satisfies(o -> {
            assertThat(o.toString()).isEqualTo("warnP95 <= failP95");
            assertThat(o.defaultsInOrder()).isTrue();
            assertThat(check.settings()).contains(o.warn(), o.fail());
        });
        assertThat(((SettingOrder<?>) check.settingOrders().get(0)).direction())
                .isEqualTo(SettingOrder.Direction.HIGHER_IS_WORSE);
    }

    @Test
    void refusesAWarnP95AboveTheFailP95() {
        assertThatThrownBy(() -> DbGuard.builder().jdbcUrl("jdbc:postgresql://localhost:5432/orders").addCheck(check)
                .set("query-latency.warnP95", "2s").set("query-latency.failP95", "500ms").build())
                .isInstanceOf(DbGuardConfigurationException.class)
                .hasMessageStartingWith("warnP95 (2s) must not be above failP95 (500ms) for check query-latency:"
                        + " lower warnP95 or raise failP95");
    }
}
