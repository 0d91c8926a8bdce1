package io.ampora.dbguard.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.check.NoFreePoolConnectionException;
import io.ampora.dbguard.check.RunbookSection;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * What needs no server: walking a cause chain to the PostgreSQL error (hand-built chains are fine here: the
 * walk is ours, not PostgreSQL's decision), and explaining an error known only from a log line or a message.
 * The real errors are reproduced in {@link SqlErrorScenarios} and {@link StandbyErrorScenarios}.
 */
class SqlErrorsFromTextAndChainTest {

    @Test
    void findsTheServersErrorUnderFrameworkWrappersAndNextExceptions() {
        PSQLException server = new PSQLException(new ServerErrorMessage(
                "SERROR\0VERROR\0C40P01\0Mdeadlock detected\0DProcess 11 waits for ShareLock on transaction 7.\0\0"));
        SQLException batch = new SQLException("Batch entry 0 UPDATE ... was aborted", "40P01");
        batch.setNextException(server);
        RuntimeException spring = new RuntimeException("CannotAcquireLockException: could not execute batch",
                new IllegalStateException("in between", batch));

        SqlErrorDiagnosis d = SqlErrors.explain(spring);

        assertThat(d.cause()).isEqualTo(SqlErrorCause.DEADLOCK);
        assertThat(d.message()).isEqualTo("deadlock detected");
        assertThat(d.detail()).isEqualTo("Process 11 waits for ShareLock on transaction 7.");
    }

    @Test
    void survivesACyclicCauseChain() {
        SQLException first = new SQLException("ERROR: canceling statement due to lock timeout", "55P03");
        SQLException second = new SQLException("wrapper", first);
        first.setNextException(second);

        assertThat(SqlErrors.explain(second).cause()).isEqualTo(SqlErrorCause.LOCK_TIMEOUT);
    }

    @Test
    void explainsAnErrorWithoutAnyDatabaseExceptionAsOther() {
        SqlErrorDiagnosis d = SqlErrors.explain(new IllegalStateException("no SQL here"));

        assertThat(d.cause()).isEqualTo(SqlErrorCause.OTHER);
        assertThat(d.sqlState()).isEmpty();
        assertThat(d.meaning()).contains("no SQLSTATE");
    }

    @Test
    void delegatesNetworkFailuresAndAnExhaustedPoolToTheConnectionClassifier() {
        SqlErrorDiagnosis timeout = SqlErrors.explain(new RuntimeException(new SocketTimeoutException("Read timed out")));
        assertThat(timeout.cause()).isEqualTo(SqlErrorCause.CONNECTION);
        assertThat(timeout.meaning()).contains("TIMEOUT");

        SqlErrorDiagnosis pool = SqlErrors.explain(new NoFreePoolConnectionException("pool", 10, 10, 10, 3, null));
        assertThat(pool.cause()).isEqualTo(SqlErrorCause.CONNECTION);
        assertThat(pool.runbookSection()).isEqualTo(RunbookSection.POOL_EXHAUSTED);
        assertThat(pool.relatedCheck()).contains("pool-saturation");
    }

    @Test
    void explainsASqlStateAndMessageFromTheDoctorsCommandLine() {
        SqlErrorDiagnosis d = SqlErrors.explain("40p01", "deadlock detected");

        assertThat(d.cause()).isEqualTo(SqlErrorCause.DEADLOCK);
        assertThat(d.sqlState()).isEqualTo("40P01");
        assertThat(d.retryable()).isTrue();
    }

    @Test
    void infersTheSqlStateFromAMessageAlone() {
        assertThat(SqlErrors.explain(null, "canceling statement due to statement timeout").sqlState()).isEqualTo("57014");
        assertThat(SqlErrors.explain("", "terminating connection due to idle-in-transaction timeout").cause())
                .isEqualTo(SqlErrorCause.IDLE_IN_TRANSACTION_TIMEOUT);
        assertThat(SqlErrors.explain(null, "prepared statement \"S_3\" does not exist").cause())
                .isEqualTo(SqlErrorCause.POOLER_PREPARED_STATEMENTS);
        assertThat(SqlErrors.explain(null, "relation \"orders\" does not exist").cause())
                .isEqualTo(SqlErrorCause.SCHEMA_BEHIND_CODE);
        assertThat(SqlErrors.explain(null, "database \"orders\" does not exist").cause()).isEqualTo(SqlErrorCause.CONNECTION);
        assertThat(SqlErrors.inferSqlState("something nobody wrote")).isEmpty();
        assertThat(SqlErrors.explain(null, "something nobody wrote").cause()).isEqualTo(SqlErrorCause.OTHER);
    }

    @Test
    void explainsAPastedLogLineWithItsPrefixSeverityAndSqlState() {
        SqlErrorDiagnosis standby = SqlErrors.explainLogLine(
                "2026-12-06 10:00:00.123 UTC [4711] app@ampora ERROR:  canceling statement due to conflict with recovery");
        assertThat(standby.cause()).isEqualTo(SqlErrorCause.RECOVERY_CONFLICT);
        assertThat(standby.sqlState()).isEqualTo("40001");
        assertThat(standby.message()).isEqualTo("canceling statement due to conflict with recovery");

        SqlErrorDiagnosis logged = SqlErrors.explainLogLine("org.postgresql.util.PSQLException: ERROR: could not"
                + " serialize access due to concurrent update (SQLState: 40001)");
        assertThat(logged.cause()).isEqualTo(SqlErrorCause.SERIALIZATION_FAILURE);
        assertThat(logged.message()).isEqualTo("could not serialize access due to concurrent update");

        SqlErrorDiagnosis fatal = SqlErrors.explainLogLine("FATAL: terminating connection due to administrator command"
                + " SQLSTATE 57P01");
        assertThat(fatal.cause()).isEqualTo(SqlErrorCause.TERMINATED_BY_ADMINISTRATOR);
        assertThat(fatal.sqlState()).isEqualTo("57P01");
    }

    @Test
    void readsTheDetailOfAPastedDuplicateToTellABehindSequenceFromAPlainDuplicate() {
        SqlErrorDiagnosis behind = SqlErrors.explainLogLine("ERROR: duplicate key value violates unique constraint"
                + " \"orders_pkey\"\n  Detail: Key (id)=(42) already exists.");
        assertThat(behind.cause()).isEqualTo(SqlErrorCause.SEQUENCE_BEHIND);
        assertThat(behind.detail()).isEqualTo("Key (id)=(42) already exists.");
        assertThat(behind.relatedCheck()).isEqualTo(Optional.of("sequence-behind-data"));

        SqlErrorDiagnosis withoutKey = SqlErrors.explainLogLine("ERROR: duplicate key value violates unique constraint"
                + " \"orders_pkey\"");
        assertThat(withoutKey.cause()).as("no key shown: not claimed").isEqualTo(SqlErrorCause.DUPLICATE_KEY);
    }

    @Test
    void fallsBackToTheSqlStatesClassWhenTheMessageIsNotInEnglish() {
        SqlErrorDiagnosis cancelled = SqlErrors.explain("57014", "Abbruch der Anweisung wegen Zeitüberschreitung");
        assertThat(cancelled.cause()).isEqualTo(SqlErrorCause.QUERY_CANCELED);

        SqlErrorDiagnosis unknown = SqlErrors.explain("23503", "Einfügen oder Aktualisieren verletzt Fremdschlüssel");
        assertThat(unknown.cause()).isEqualTo(SqlErrorCause.OTHER);
        assertThat(unknown.meaning()).contains("SQLSTATE 23503 is in class 23 (integrity constraint violation)");
    }

    @Test
    void refusesAnSqlStateThatIsNotFiveCharacters() {
        assertThatThrownBy(() -> SqlErrors.explain("4001", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'4001'").hasMessageContaining("40P01");
    }

    @Test
    void rendersTextAndJsonWithEveryField() {
        SqlErrorDiagnosis d = SqlErrors.explain("55P03", "canceling statement due to lock timeout");

        assertThat(d.toText()).contains("cause:         LOCK_TIMEOUT", "SQLSTATE:      55P03", "related check: blocking-locks",
                "runbook:       7. Locked / wedged", "retryable:     no");
        assertThat(d.toJson()).contains("\"cause\": \"LOCK_TIMEOUT\"", "\"relatedCheck\": \"blocking-locks\"",
                "\"retryable\": false", "\"runbookSection\": 7");
    }
}
