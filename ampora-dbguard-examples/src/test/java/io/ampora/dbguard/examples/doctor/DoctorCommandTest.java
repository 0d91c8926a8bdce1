package io.ampora.dbguard.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

@WithPostgres
class DoctorCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int doctor(String... args) {
        return Doctor.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void printsAHealthyTextReportAndExitsZero(TestDatabase db) throws Exception {
        db.createRole("doctor_healthy_app", "unused-with-trust-auth", "");

        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--user", "doctor_healthy_app");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("1. Cannot connect").contains("connectivity").contains("Status: PASS");
    }

    @Test
    void exportsTheProductionTableSizesForMigrationTests(TestDatabase db, @org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        // a healthy table (with a key): the class shares one database and another test expects a PASS report
        db.execute("CREATE TABLE sized_orders (id bigint PRIMARY KEY); INSERT INTO sized_orders"
                + " SELECT generate_series(1, 1234); ANALYZE sized_orders");
        java.nio.file.Path file = dir.resolve("sizes.json");

        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--user", "postgres", "--export-table-sizes", file.toString());

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("Wrote the estimated rows of ").contains(file.toAbsolutePath().toString());
        assertThat(io.ampora.dbguard.flyway.TableSizes.load(file).rows()).containsEntry("public.sized_orders", 1234L);
    }

    @Test
    void printsTheJsonContract(TestDatabase db) throws Exception {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--user", "postgres", "--format", "json",
                "--check", "connectivity", "--check", "connection-headroom", "--set", "connection-headroom.warnPercent=0");

        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(exit).isZero();
        assertThat(json.get("status").asText()).isEqualTo("WARN");
        assertThat(json.get("checks")).hasSize(2);
    }

    @Test
    void exitsOneWhenACheckFails() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }

        int exit = doctor("--jdbc-url", "jdbc:postgresql://localhost:" + port + "/x", "--user", "app");

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString()).contains("FAIL").contains("nothing is listening");
    }

    @Test
    void unknownSettingKeyIsAUsageErrorListingTheValidOnes(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--set", "connection-headroom.warn=50");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("has no setting 'warn'").contains("warnPercent");
    }

    @Test
    void unknownCheckIdIsAUsageErrorListingTheValidOnes(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--check", "no-such-check");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown check id 'no-such-check'").contains("connectivity");
    }

    @Test
    void badDurationIsAUsageError(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--check-timeout", "soon");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--check-timeout soon");
    }

    @Test
    void missingPasswordVariableIsAUsageError(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--password-env", "AMPORA_NO_SUCH_VARIABLE_XYZ");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("AMPORA_NO_SUCH_VARIABLE_XYZ").contains("not set");
    }

    @Test
    void startsAnEmbeddedDatabaseWhenNoUrlIsGiven() {
        int exit = doctor("--check", "connectivity");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("connectivity").contains("Connected in");
    }

    @Test
    void instancesAddsThePoolBudgetOfTheWholeFleet(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--user", "postgres", "--check", "pool-budget",
                "--instances", "20", "--pool-size", "10");

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString()).contains("pool-budget").contains("20 instances").contains("FAIL");
    }

    @Test
    void flywayLocationsAddTheMigrationChecks(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--user", "postgres",
                "--flyway-locations", "classpath:db/doctor-test-migrations");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("schema-version").contains("2 migrations will apply at startup")
                .contains("migration-lock");
    }

    @Test
    void flywayOptionsWithoutLocationsAreAUsageError(TestDatabase db) {
        int exit = doctor("--jdbc-url", db.jdbcUrl(), "--flyway-table", "schema_history");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("need --flyway-locations");
    }
}
