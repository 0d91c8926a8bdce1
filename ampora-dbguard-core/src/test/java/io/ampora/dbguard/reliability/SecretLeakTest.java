package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.report.JsonReportRenderer;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.report.TextReportRenderer;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A wrong password, given in the URL, in the builder and in the properties, never shows up: not in the
 * text or JSON report, not in a log line, not in any exception message or stack trace. The server demands
 * a password, so the driver's error path (28P01) runs for real.
 */
@WithPostgres(passwordAuth = true)
class SecretLeakTest {

    private static final java.util.concurrent.atomic.AtomicInteger ROLES = new java.util.concurrent.atomic.AtomicInteger();
    private static final String SECRET = "Zq7-wrong-Pa55w0rd-8842";

    @Test
    void passwordInTheUrlNeverLeaks(TestDatabase db) throws Exception {
        String role = role(db);
        assertNoLeak(DbGuard.builder().jdbcUrl(db.jdbcUrl() + "?user=" + role + "&password=" + SECRET));
    }

    @Test
    void passwordFromTheBuilderNeverLeaks(TestDatabase db) throws Exception {
        assertNoLeak(DbGuard.builder().jdbcUrl(db.jdbcUrl()).user(role(db)).password(SECRET));
    }

    @Test
    void passwordInConnectionPropertiesNeverLeaks(TestDatabase db) throws Exception {
        assertNoLeak(DbGuard.builder().jdbcUrl(db.jdbcUrl()).connectionProperty("user", role(db))
                .connectionProperty("password", SECRET));
    }

    @Test
    void passwordOfAGivenDataSourceNeverLeaks(TestDatabase db) throws Exception {
        assertNoLeak(DbGuard.builder().dataSource(db.dataSource(role(db), SECRET)));
    }

    @Test
    void passwordInAnInvalidUrlNeverLeaksFromTheConfigurationError() {
        Throwable e = catchThrowable(() -> DbGuard.builder().jdbcUrl("jdbc:postgresql://h:notaport/db?password=" + SECRET).build());
        assertThat(e).isNotNull();
        assertThat(everything(e)).doesNotContain(SECRET);
        Throwable e2 = catchThrowable(() -> DbGuard.builder().jdbcUrl("jdbc:mysql://h/db?password=" + SECRET).build());
        assertThat(everything(e2)).doesNotContain(SECRET);
    }

    private static String role(TestDatabase db) throws Exception {
        String role = "leak_" + Math.abs(db.name().hashCode() % 100000) + "_" + ROLES.incrementAndGet();
        db.createRole(role, "the-right-one", "");
        return role;
    }

    private static void assertNoLeak(DbGuard.Builder builder) {
        List<String> seen = new ArrayList<>();
        String logs = captureStderr(() -> {
            DbGuard guard = builder.checkTimeout(Duration.ofSeconds(2)).deadline(Duration.ofSeconds(5)).build();
            Report report = guard.report();
            assertThat(report.result("connectivity").orElseThrow().status()).isEqualTo(CheckStatus.FAIL);
            assertThat(report.result("connectivity").orElseThrow().findings().get(0).details())
                    .containsEntry("cause", "PASSWORD_AUTHENTICATION_FAILED");
            seen.add(new TextReportRenderer(false).render(report));
            seen.add(new TextReportRenderer(true).render(report));
            seen.add(new JsonReportRenderer().render(report));
            seen.add(report.toString());
            seen.add(guard.options().toString());
            seen.add(guard.options().connection().toString());
            seen.add(everything(catchThrowable(guard::verifyOrFail)));
        });
        assertThat(logs).as("slf4j-simple output is captured").contains("log capture is on");
        seen.add(logs);
        System.out.println("captured log:\n" + logs);
        assertThat(String.join("\n", seen)).doesNotContain(SECRET).contains("password authentication failed");
    }

    /** Message, toString and stack trace of a throwable and its causes. */
    static String everything(Throwable t) {
        if (t == null) {
            return "";
        }
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return t.getMessage() + "\n" + t + "\n" + w;
    }

    /** Runs an action with System.err (where slf4j-simple writes) captured. */
    static String captureStderr(Runnable action) {
        try {
            return io.ampora.dbguard.testing.Stderr.captureLogs(action::run);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
