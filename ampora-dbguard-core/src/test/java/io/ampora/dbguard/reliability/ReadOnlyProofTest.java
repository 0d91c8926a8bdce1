package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Proves the guard only reads: every discovered check runs as a dedicated role on a server that records
 * every statement in pg_stat_statements (track=all, utility statements included), and every statement
 * that role issued must be a read or the session's own read-only/timeout set-up.
 */
@WithPostgres(settings = {"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all",
    "pg_stat_statements.track_utility=on"})
class ReadOnlyProofTest {

    private static final Pattern ALLOWED = Pattern.compile("(?is)\\s*((select|with|show|values|begin|start transaction"
            + "|rollback|commit|savepoint|release savepoint)\\b|set transaction read only"
            // pgjdbc's own session set-up, sent after the login
            + "|set (application_name|extra_float_digits)\\s*=).*");
    private static final Pattern WRITES = Pattern.compile(
            "(?i)\\b(insert\\s+into|update\\s+\\S+\\s+set|delete\\s+from|merge\\s+into|create|alter|drop|truncate|grant|revoke"
                    + "|vacuum|analyze|cluster|reindex|refresh|copy|lock|nextval|setval|pg_terminate_backend|pg_cancel_backend"
                    + "|pg_reload_conf|pg_stat_reset|set_config\\s*\\(\\s*'(?!statement_timeout|lock_timeout"
                    + "|idle_in_transaction_session_timeout|application_name))\\b");

    @Test
    void everyStatementTheGuardIssuesIsARead(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        String role = "guard_ro_" + Math.abs(db.name().hashCode() % 100000);
        db.createRole(role, "pw-ro", "");
        db.execute("GRANT pg_monitor TO " + role + "; ALTER ROLE " + role + " SET default_transaction_read_only = on;"
                + "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int, doc jsonb);"
                + "CREATE TABLE customers (id int PRIMARY KEY); ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;"
                + "SELECT pg_stat_statements_reset()");

        Report report = EveryCheck.run(db.dataSource(role, "pw-ro"), "as a read-only role with pg_monitor");
        EveryCheck.assertNoCheckErrors(report);

        List<String> statements = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT s.query FROM pg_stat_statements s"
                     + " JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = ? ORDER BY s.query")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    statements.add(rs.getString(1));
                }
            }
        }
        System.out.println("statements issued by " + role + ":");
        statements.forEach(s -> System.out.println("  " + s.replaceAll("\\s+", " ")));
        assertThat(statements).as("the guard issued statements that pg_stat_statements saw").isNotEmpty();
        assertThat(statements).anyMatch(s -> s.toLowerCase(Locale.ROOT).contains("set transaction read only"));
        for (String s : statements) {
            String flat = stripLiteralsAndComments(s);
            assertThat(ALLOWED.matcher(flat).matches()).as("a read: %s", s).isTrue();
            assertThat(WRITES.matcher(flat).find()).as("no write or DDL in: %s", s).isFalse();
        }
    }

    /** Leaves out string literals, quoted identifiers and comments, so a word inside them is not a verb. */
    private static String stripLiteralsAndComments(String sql) {
        return sql.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("--[^\\n]*", " ")
                .replaceAll("\"(?:[^\"]|\"\")*\"", "\"x\"");
    }
}
