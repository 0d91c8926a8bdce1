package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A connection attempt that hangs past its report's budget is joined by the next report instead of starting one
 * more thread. When that old attempt gets through during an outage that began meanwhile, its session is older than
 * the report: the report must not read it as "connected" (the monitor's flake in {@link MonitorUnderFaultTest} on a
 * loaded CI machine: an attempt slowed down before the blackhole, joined and got through, and readiness went UP
 * during the blackhole).
 */
@WithPostgres
class HungConnectionAttemptTest {

    @Test
    void aReportDoesNotTakeTheLateSuccessOfAnEarlierReportsHungAttemptAsItsOwnConnection(TestDatabase db) throws Exception {
        CountDownLatch firstMayConnect = new CountDownLatch(1);
        AtomicBoolean outage = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        DataSource dataSource = new DelegatingDataSource(db.dataSource()) {
            @Override
            public Connection getConnection() throws SQLException {
                if (calls.incrementAndGet() == 1) {
                    // the first attempt stalls past its report's connect budget (a slow network, a loaded machine) ...
                    try {
                        firstMayConnect.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    // ... and then gets its session from the server: the outage began after it had got through
                    return super.getConnection();
                }
                if (outage.get()) {
                    throw new SQLTransientConnectionException("Connection to db:5432 refused (test outage)", "08001");
                }
                return super.getConnection();
            }
        };
        DbGuard guard = DbGuard.builder().dataSource(dataSource).only(List.of("connectivity"))
                .connectTimeout(Duration.ofSeconds(2)).checkTimeout(Duration.ofSeconds(2)).deadline(Duration.ofSeconds(5))
                .build();

        Report first = guard.report();
        assertThat(first.result("connectivity").orElseThrow().status()).as("the stalled attempt: %s", first)
                .isEqualTo(CheckStatus.FAIL);

        outage.set(true);
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(100); // the second report has joined the hung attempt by then
            } catch (InterruptedException e) {
                return;
            }
            firstMayConnect.countDown();
        });
        releaser.start();
        Report second = guard.report();
        releaser.join();

        assertThat(second.result("connectivity").orElseThrow().status())
                .as("the joined attempt got through, but the server refuses now: %s", second).isEqualTo(CheckStatus.FAIL);
        assertThat(calls).as("the second report connected for itself once the old attempt had ended").hasValue(2);

        outage.set(false);
        assertThat(guard.report().result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
    }
}
