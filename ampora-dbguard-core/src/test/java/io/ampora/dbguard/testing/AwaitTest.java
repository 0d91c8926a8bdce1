package io.ampora.dbguard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {

    @Test
    void returnsOnceTheStateIsReachedAfterSomePolls() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        Await.until("the third poll", Duration.ofSeconds(10), () -> polls.incrementAndGet() >= 3);
        assertThat(polls).hasValue(3);
    }

    @Test
    void failsNamingWhatWasAwaitedWhenTheStateNeverComes() {
        assertThatThrownBy(() -> Await.until("a state that never comes", Duration.ofMillis(50), () -> false))
                .isInstanceOf(AssertionError.class).hasMessageContaining("a state that never comes")
                .hasMessageContaining("50 ms");
        assertThat(catching(() -> Await.holds(Duration.ofMillis(30), () -> false))).isFalse();
    }

    @Test
    void aConditionThatThrowsFailsTheWaitWithItsCause() {
        assertThatThrownBy(() -> Await.until("a query", Duration.ofSeconds(5), () -> {
            throw new SQLException("relation \"missing\" does not exist", "42P01");
        })).isInstanceOf(AssertionError.class).hasRootCauseInstanceOf(SQLException.class).hasMessageContaining("does not exist");
    }

    @Test
    void valueReturnsTheFirstAwaitedAttemptAndShowsTheLastOneOnTimeout() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        assertThat(Await.value("the fourth attempt", Duration.ofSeconds(10), attempts::incrementAndGet, n -> n >= 4))
                .isEqualTo(4);
        assertThatThrownBy(() -> Await.value("a WARN", Duration.ofMillis(50), () -> "PASS", "WARN"::equals))
                .isInstanceOf(AssertionError.class).hasMessageContaining("a WARN").hasMessageContaining("last: PASS");
    }

    private static boolean catching(BooleanCall call) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private interface BooleanCall {
        boolean get() throws InterruptedException;
    }
}
