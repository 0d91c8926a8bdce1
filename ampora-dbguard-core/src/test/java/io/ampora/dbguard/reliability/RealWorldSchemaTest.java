package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A schema no one here wrote: the OpenStreetMap website's (52 tables, 140 indexes, 67 foreign keys,
 * btree_gist), from {@code shared/realworld/openstreetmap-structure.sql} beside the repository. Every
 * discovered check runs clean of errors on it, and every finding is printed so a person can judge it.
 */
@WithPostgres
class RealWorldSchemaTest {

    static final String FILE = "realworld/openstreetmap-structure.sql";

    @Test
    void everyCheckRunsCleanOnTheOpenStreetMapSchema(TestDatabase db) throws Exception {
        Optional<Path> dump = locate();
        Assumptions.assumeTrue(dump.isPresent(), "shared/" + FILE + " not found beside the repository");
        String sql = Files.readAllLines(dump.get(), StandardCharsets.UTF_8).stream()
                .filter(line -> !line.startsWith("\\")) // psql meta-commands (\restrict in newer dumps)
                .collect(Collectors.joining("\n"));
        db.execute(sql);
        assertThat(db.queryString("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'")).isEqualTo("52");
        assertThat(db.queryString("SELECT count(*) FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype = 'f'")).isEqualTo("67");
        db.execute("ANALYZE");

        Report report = EveryCheck.run(db.dataSource(), "OpenStreetMap schema");

        EveryCheck.assertNoCheckErrors(report);
        // bloat and index hygiene on a fresh load: no false alarm; gps_points really has no key
        assertThat(report.result("duplicate-indexes").orElseThrow().status()).isEqualTo(CheckStatus.PASS);
        assertThat(report.result("unused-indexes").orElseThrow().status()).as("statistics seconds old").isEqualTo(CheckStatus.SKIP);
        assertThat(report.result("tables-without-primary-key").orElseThrow().findings())
                .extracting(f -> f.details().get("table")).containsExactly("public.gps_points");
        for (String bloat : new String[] {"table-bloat", "index-bloat"}) {
            Report everyRelation = DbGuard.builder().dataSource(db.dataSource())
                    .checks(DbGuard.discoverChecks().stream().filter(c -> c.id().equals(bloat)).toList())
                    .set(bloat + ".minReclaimableBytes", "0").build().report();
            CheckResult r = everyRelation.result(bloat).orElseThrow();
            assertThat(r.status()).as(bloat + " on every relation: " + r.summary()).isEqualTo(CheckStatus.PASS);
            assertThat(r.findings()).isEmpty();
        }
        System.out.println("=== every finding on the OpenStreetMap schema ===");
        for (CheckResult r : report.checks()) {
            System.out.println(r.checkId() + " " + r.status() + ": " + r.summary());
            for (Finding f : r.findings()) {
                System.out.println("    - " + f.message() + " " + f.details());
            }
        }
    }

    /**
     * The shared directory: {@code -Dampora.shared.dir}, else the first {@code shared/} holding the file in
     * the working directory or one of its parents (CI puts shared/ beside the clone).
     */
    static Optional<Path> locate() {
        String property = System.getProperty("ampora.shared.dir", "");
        if (!property.isBlank() && !property.startsWith("$") && Files.isRegularFile(Paths.get(property, FILE))) {
            return Optional.of(Paths.get(property, FILE));
        }
        for (Path dir = Paths.get(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve(FILE);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
