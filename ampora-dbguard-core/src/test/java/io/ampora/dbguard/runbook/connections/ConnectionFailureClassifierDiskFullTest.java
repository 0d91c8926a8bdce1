package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

class ConnectionFailureClassifierDiskFullTest {

    @Test
    void serverErrorWithSqlState53100IsDiskFull() {
        PSQLException error = new PSQLException(new ServerErrorMessage(
                "SFATAL\0VFATAL\0C53100\0Mcould not extend file \"base/16384/16385\": No space left on device\0\0"));

        ConnectionDiagnosis diagnosis = ConnectionFailureClassifier.classify(error);

        assertThat(diagnosis.cause()).isEqualTo(ConnectionFailure.DISK_FULL);
        assertThat(diagnosis.sqlState()).isEqualTo("53100");
    }

    @Test
    void wrappedSqlExceptionWith53100IsDiskFull() {
        RuntimeException wrapped = new RuntimeException("pool could not connect",
                new SQLException("could not write to file \"pg_wal/xlogtemp.123\": No space left on device", "53100"));

        assertThat(ConnectionFailureClassifier.classify(wrapped).cause()).isEqualTo(ConnectionFailure.DISK_FULL);
    }
}
