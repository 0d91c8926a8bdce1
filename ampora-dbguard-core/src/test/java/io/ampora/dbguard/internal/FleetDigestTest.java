package io.ampora.dbguard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The NOTIFY digest of a result: exact when it fits, trimmed (and saying so) when not, accepted by PostgreSQL. */
@WithPostgres
class FleetDigestTest {

    @Test
    void everyCoreChecksRealResultSurvivesTheDigestUnchanged(TestDatabase db) {
        DbGuard guard = DbGuard.builder().dataSource(db.dataSource()).build();
        Map<String, RunbookSection> runbooks = guard.checks().stream()
                .collect(Collectors.toMap(DatabaseCheck::id, DatabaseCheck::runbook));
        Report report = guard.report();
        Instant at = Instant.ofEpochMilli(1_765_000_000_123L);
        for (CheckResult result : report.checks()) {
            String payload = FleetDigest.encode(result, "pod-1", at, Duration.ofSeconds(10));
            FleetDigest.Message m = FleetDigest.decode(payload, id -> Optional.ofNullable(runbooks.get(id))).orElseThrow();
            assertThat(m.result()).as(result.checkId()).contains(result);
            assertThat(m.ranBy()).isEqualTo("pod-1");
            assertThat(m.ranAt()).isEqualTo(at);
            assertThat(m.interval()).isEqualTo(Duration.ofSeconds(10));
            assertThat(m.findingsOmitted()).isZero();
        }
    }

    @Test
    void aResultTooBigForOneNotificationIsTrimmedToFitAndCountsWhatItLeftOut(TestDatabase db) throws Exception {
        var builder = CheckResult.builder(new Fixed()).status(CheckStatus.WARN).summary("ü".repeat(3_000))
                .remediation("SELECT pg_terminate_backend(4711);\n".repeat(200));
        for (int i = 0; i < 200; i++) {
            builder.finding(Finding.builder("pid " + i + " (psql, user \"alice & bob\") holds a lock on public.\"Order Items\"")
                    .detail("pid", i).detail("bytes", 1L << 40).detail("ratio", 0.5).detail("exact", new BigDecimal("1.10"))
                    .detail("user", "alice=bob&x").detail("hidden", false).detail("query", null).build());
        }
        CheckResult big = builder.build();
        String payload = FleetDigest.encode(big, "pod-ü", Instant.now(), Duration.ofSeconds(30));
        assertThat(payload.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(FleetDigest.MAX_BYTES);

        FleetDigest.Message m = FleetDigest.decode(payload, id -> Optional.of(RunbookSection.BEYOND_RUNBOOK)).orElseThrow();
        CheckResult got = m.result().orElseThrow();
        assertThat(got.status()).isEqualTo(CheckStatus.WARN);
        assertThat(got.summary()).endsWith("…").hasSizeLessThan(1_000).startsWith("üüü");
        assertThat(got.remediation()).endsWith("…").startsWith("SELECT pg_terminate_backend(4711);\n");
        assertThat(got.findings()).isNotEmpty();
        assertThat(m.findingsOmitted()).isEqualTo(200 - got.findings().size()).isPositive();
        assertThat(got.findings().get(0)).isEqualTo(big.findings().get(0));
        assertThat(m.ranBy()).isEqualTo("pod-ü");

        // PostgreSQL takes it (the limit is 8000 bytes) and delivers it unchanged
        try (Connection listener = db.dataSource().getConnection(); Connection sender = db.dataSource().getConnection()) {
            listener.createStatement().execute("LISTEN digest_test");
            sender.createStatement().execute("SET default_transaction_read_only = on");
            try (PreparedStatement ps = sender.prepareStatement("SELECT pg_notify('digest_test', ?)")) {
                ps.setString(1, payload);
                ps.execute();
            }
            var received = listener.unwrap(org.postgresql.PGConnection.class).getNotifications(5_000);
            assertThat(received).hasSize(1);
            assertThat(received[0].getParameter()).isEqualTo(payload);
        }
    }

    private static final class Fixed implements DatabaseCheck {
        @Override
        public String id() {
            return "fixed";
        }

        @Override
        public RunbookSection runbook() {
            return RunbookSection.BEYOND_RUNBOOK;
        }

        @Override
        public String description() {
            return "a fixed result";
        }

        @Override
        public CheckResult run(io.ampora.dbguard.check.CheckContext context) {
            return CheckResult.pass(this, "fixed");
        }
    }
}
