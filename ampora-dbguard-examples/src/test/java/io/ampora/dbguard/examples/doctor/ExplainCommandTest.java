package io.ampora.dbguard.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code doctor explain}: an SQL error explained from the command line, without a database. */
class ExplainCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int doctor(String... args) {
        return Doctor.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void explainsASqlStateAndMessageAsADeadlockToRetry() {
        int exit = doctor("explain", "--sqlstate", "40P01", "--message", "deadlock detected");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("cause:         DEADLOCK", "SQLSTATE:      40P01",
                "runbook:       7. Locked / wedged", "retryable:     yes", "same order")
                .doesNotContain("inferred");
    }

    @Test
    void trustsTheGivenSqlStateWhenTheMessageIsNotInEnglish() {
        int exit = doctor("explain", "--sqlstate", "40001", "--message", "konnte Zugriff nicht serialisieren");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("cause:         SERIALIZATION_FAILURE", "retryable:     yes");
    }

    @Test
    void explainsAPastedLogLineInferringItsSqlState() {
        int exit = doctor("explain", "2026-12-06 10:00:00 UTC [4711] ERROR:  canceling statement due to conflict with recovery");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("cause:         RECOVERY_CONFLICT",
                "message:       canceling statement due to conflict with recovery", "related check: replica-conflicts",
                "runbook:       5. Replica lag", "(SQLSTATE 40001 inferred from the message)");
    }

    @Test
    void readsTheSqlStateALogLineNamesAndPrintsJson() throws Exception {
        int exit = doctor("explain", "--format", "json",
                "FATAL: terminating connection due to idle-in-transaction timeout (SQLState: 25P03)");

        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(exit).isZero();
        assertThat(json.get("cause").asText()).isEqualTo("IDLE_IN_TRANSACTION_TIMEOUT");
        assertThat(json.get("sqlState").asText()).isEqualTo("25P03");
        assertThat(json.get("relatedCheck").asText()).isEqualTo("idle-in-transaction");
        assertThat(json.get("retryable").asBoolean()).isFalse();
    }

    @Test
    void nothingToExplainOrAMalformedSqlStateIsAUsageError() {
        assertThat(doctor("explain")).isEqualTo(Doctor.EXIT_USAGE);
        assertThat(err.toString()).contains("Give the error");

        assertThat(doctor("explain", "--sqlstate", "4001", "--message", "deadlock detected")).isEqualTo(Doctor.EXIT_USAGE);
        assertThat(err.toString()).contains("'4001' is not five digits and capital letters");
    }
}
