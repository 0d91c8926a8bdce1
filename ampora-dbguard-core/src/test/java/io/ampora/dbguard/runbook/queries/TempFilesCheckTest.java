package io.ampora.dbguard.runbook.queries;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@WithPostgres(settings = "shared_preload_libraries=pg_stat_statements")
class TempFilesCheckTest {

    /** Deep pagination over a wide text column: the sort needs every row, some 25 MB, in memory or on disk. */
    private static final String PAGE = "SELECT id, note FROM tempf_orders ORDER BY note LIMIT 50 OFFSET 199900";

    @BeforeAll
    static void sortTwoHundredThousandWideRowsAsATightAndARoomyRole(TestDatabase db) throws Exception {
        db.execute("""
                CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
                CREATE TABLE tempf_orders (id bigint PRIMARY KEY, note text NOT NULL);
                INSERT INTO tempf_orders
                    SELECT g, md5(g::text) || repeat('x', 80) FROM generate_series(1, 200000) g;
                ANALYZE tempf_orders;
                SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);
                """);
        db.createRole("tempf_tight", "tight-pw", "");
        db.createRole("tempf_roomy", "roomy-pw", "");
        db.execute("""
                ALTER ROLE tempf_tight SET work_mem = '64kB';
                ALTER ROLE tempf_roomy SET work_mem = '256MB';
                GRANT SELECT ON tempf_orders TO tempf_tight, tempf_roomy;
                """);
        for (String role : List.of("tempf_tight", "tempf_roomy")) {
            try (Connection c = db.dataSource(role, role.substring(6) + "-pw").getConnection();
                 Statement st = c.createStatement()) {
                for (int i = 0; i < 5; i++) {
                    st.executeQuery(PAGE).close();
                }
            }
        }
    }

    private static Finding findingOf(CheckResult result, String user) {
        return Checks.withDetail(result, "user", user).stream().findFirst().orElseThrow(
                () -> new AssertionError("no finding for " + user + " in " + result));
    }

    @Test
    void reportsSortSpillingToDiskWithSetLocalWorkMemFix(TestDatabase db) throws Exception {
        CheckResult result = Checks.run(db.dataSource(), new TempFilesCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        Finding spill = findingOf(result, "tempf_tight");
        long perCall = (Long) spill.details().get("tempWrittenPerCallBytes");
        assertThat(perCall).isGreaterThanOrEqualTo(8L << 20);
        assertThat((Long) spill.details().get("calls")).isEqualTo(5L);
        assertThat((Long) spill.details().get("tempWrittenBytes")).isBetween(perCall * 5, perCall * 5 + 4);
        assertThat(spill.details()).containsEntry("workMem", "64kB");
        assertThat(spill.details().get("query").toString()).contains("FROM tempf_orders ORDER BY note");
        String fix = spill.details().get("fix").toString();
        assertThat(fix).matches("SET LOCAL work_mem = '\\d+(kB|MB|GB)'");
        String value = fix.substring(fix.indexOf('\'') + 1, fix.length() - 1);
        assertThat(SettingValues.parseSize(value)).isGreaterThan(perCall);
        assertThat(spill.message()).contains("with work_mem 64kB (set for role tempf_tight)", fix);
        assertThat(result.summary()).contains("1 statement spills", "tempf_orders", "temporary files (",
                "Database " + db.name());
        assertThat(result.remediation()).contains("SET LOCAL work_mem", "Do not raise work_mem globally",
                "max_connections", "index", "EXPLAIN (ANALYZE, BUFFERS)");

        // the evidence is real, and the fix's value keeps the sort in memory
        assertThat(explain(db, "64kB")).contains("external merge");
        assertThat(explain(db, value)).doesNotContain("external", "Disk:");
    }

    @Test
    void theSameSortWithAGenerousWorkMemDoesNotSpillAndIsNotReported(TestDatabase db) throws Exception {
        assertThat(db.statementCalls("ORDER BY note")).as("both roles ran it").isGreaterThanOrEqualTo(10L);

        CheckResult result = Checks.run(db.dataSource(), new TempFilesCheck());

        assertThat(result.findings()).extracting(f -> f.details().get("user")).containsOnly("tempf_tight");
        assertThat(Checks.run(db.dataSource(), new TempFilesCheck(), "warnPerCall", "1GB").status())
                .as("nothing writes 1GB a call").isEqualTo(CheckStatus.PASS);
    }

    @Test
    void failsWhenAStatementWritesMoreThanHalfOfTempFileLimitPerCall(TestDatabase db) throws Exception {
        long perCall = (Long) findingOf(Checks.run(db.dataSource(), new TempFilesCheck()), "tempf_tight")
                .details().get("tempWrittenPerCallBytes");
        long limitKb = perCall * 3 / 2 / 1024;
        db.execute("ALTER DATABASE \"" + db.name() + "\" SET temp_file_limit = '" + limitKb + "kB'");
        try {
            CheckResult result = Checks.run(db.dataSource(), new TempFilesCheck());

            assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
            Finding near = findingOf(result, "tempf_tight");
            assertThat(near.details()).containsEntry("tempFileLimitBytes", limitKb * 1024);
            assertThat(near.message()).contains("near temp_file_limit",
                    "will fail with \"temporary file size exceeds temp_file_limit\"");

            assertThat(Checks.run(db.dataSource(), new TempFilesCheck(), "failLimitPercent", "90").status())
                    .as("two thirds of the limit is under 90%").isEqualTo(CheckStatus.WARN);
        } finally {
            db.execute("ALTER DATABASE \"" + db.name() + "\" RESET temp_file_limit");
        }
    }

    @Test
    void unprivilegedRoleSeesTheSpillAndTheRolesWorkMemButNotTheTextAndIsToldWhy(TestDatabase db) throws Exception {
        db.createRole("tempf_reader", "reader-pw", "");

        CheckResult result = Checks.run(db.dataSource("tempf_reader", "reader-pw"), new TempFilesCheck());

        assertThat(result.status()).isEqualTo(CheckStatus.WARN);
        Finding spill = findingOf(result, "tempf_tight");
        assertThat(spill.details()).containsEntry("query", "<insufficient privilege> (a statement of tempf_tight)")
                .containsEntry("workMem", "64kB");
        assertThat((Long) spill.details().get("tempWrittenPerCallBytes")).isGreaterThanOrEqualTo(8L << 20);
        assertThat(result.findings()).anySatisfy(f ->
                assertThat(f.details()).containsEntry("grant", "GRANT pg_read_all_stats TO tempf_reader"));
    }

    @Test
    void skipsWithHowToEnableWhenPgStatStatementsIsMissing() throws Exception {
        try (TestDatabase plain = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), TempFilesCheckTest.class)) {
            CheckResult missing = Checks.run(plain.dataSource(), new TempFilesCheck());

            assertThat(missing.status()).isEqualTo(CheckStatus.SKIP);
            assertThat(missing.summary()).contains("not installed", "shared_preload_libraries",
                    "CREATE EXTENSION pg_stat_statements");
        }
    }

    @Test
    void theFixGivesThreeTimesTheSpillRoundedUpToASizeAPersonWouldType() {
        assertThat(TempFilesCheck.fixWorkMem(100_000)).isEqualTo("1MB");
        assertThat(TempFilesCheck.fixWorkMem(25L << 20)).isEqualTo("96MB");
        assertThat(TempFilesCheck.fixWorkMem(32L << 20)).isEqualTo("96MB");
        assertThat(TempFilesCheck.fixWorkMem((32L << 20) + 1)).isEqualTo("128MB");
        assertThat(TempFilesCheck.fixWorkMem(600L << 20)).isEqualTo("2GB");
    }

    /** The plan of the page query as the tight role, with work_mem set for its transaction only. */
    private static String explain(TestDatabase db, String workMem) throws Exception {
        try (Connection c = db.dataSource("tempf_tight", "tight-pw").getConnection()) {
            c.setAutoCommit(false);
            StringBuilder plan = new StringBuilder();
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL work_mem = '" + workMem + "'");
                try (ResultSet rs = st.executeQuery("EXPLAIN (ANALYZE, BUFFERS) " + PAGE)) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
            }
            c.rollback();
            return plan.toString();
        }
    }
}
