package io.ampora.dbguard.runbook.connections;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A DataSource wrapper (a tenant binder, a tracing proxy) that throws its own exception while the guard
 * opens its session: the connection itself is fine, so the diagnosis must name that exception in the
 * summary instead of "a reason not in the runbook" with the cause buried in the details (issue 19, bug 2).
 */
@WithPostgres
class ConnectivityNamesTheDataSourcesOwnExceptionTest {

    @Test
    void namesTheWrappersExceptionWhenItRefusesTheGuardsStatements(TestDatabase db) {
        DataSource refusing = refusingStatements(db.dataSource(),
                new IllegalStateException("no tenant in scope for this statement (called from Guard.check)"));

        CheckResult result = DbGuard.builder().dataSource(refusing).checks(List.of(new ConnectivityCheck()))
                .build().report().result("connectivity").orElseThrow();

        assertThat(result.status()).isEqualTo(CheckStatus.FAIL);
        assertThat(result.summary())
                .contains("java.lang.IllegalStateException")
                .contains("no tenant in scope for this statement (called from Guard.check)")
                .doesNotContain("a reason not in the runbook");
        Finding finding = result.findings().get(0);
        assertThat(finding.details()).containsEntry("cause", ConnectionFailure.DATASOURCE_ERROR.name())
                .containsEntry("exception", "java.lang.IllegalStateException");
        assertThat(result.remediation()).contains("not from PostgreSQL");
    }

    @Test
    void keepsTheRunbookCauseWhenTheDriversExceptionIsWrappedByAPoolsRuntimeException() {
        var refused = new java.sql.SQLException("Connection to localhost:1 refused.", "08001",
                new java.net.ConnectException("Connection refused"));
        var poolInit = new RuntimeException("Failed to initialize pool: Connection to localhost:1 refused.", refused);

        ConnectionDiagnosis diagnosis = ConnectionFailureClassifier.classify(
                new java.sql.SQLException(poolInit.toString(), "08000", poolInit));

        assertThat(diagnosis.cause()).isEqualTo(ConnectionFailure.CONNECTION_REFUSED);
    }

    private static DataSource refusingStatements(DataSource real, RuntimeException error) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object value = invoke(real, method, args);
                    if (value instanceof Connection c) {
                        return Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                                (p, m, a) -> {
                                    if (m.getName().equals("createStatement")) {
                                        throw error;
                                    }
                                    return invoke(c, m, a);
                                });
                    }
                    return value;
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
