package io.ampora.dbguard.runbook.queries;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.Locale;

/**
 * Finds pg_stat_statements for the query checks: whether it is installed and loaded, where its view is
 * and which time columns its version has (decided from the view's columns, not the server version).
 *
 * @param viewName    the view's name, schema-qualified and quoted; empty when unavailable
 * @param meanColumn  {@code mean_exec_time} (1.8+) or {@code mean_time}
 * @param totalColumn {@code total_exec_time} (1.8+) or {@code total_time}
 * @param unavailable why it cannot be used and how to enable it; empty when usable
 */
record StatStatements(String viewName, String meanColumn, String totalColumn, String unavailable) {

    static final String ENABLE = "Enable it: add pg_stat_statements to shared_preload_libraries in postgresql.conf"
            + " (beside any library already listed there), restart PostgreSQL, then run"
            + " CREATE EXTENSION pg_stat_statements in this database.";

    /** The text pg_stat_statements shows for statements of other roles without {@code pg_read_all_stats}. */
    static final String HIDDEN = "<insufficient privilege>";

    /** @return whether the view can be queried */
    boolean usable() {
        return unavailable.isEmpty();
    }

    /**
     * Looks pg_stat_statements up on the check's session; probes the view inside a savepoint so that
     * "must be loaded via shared_preload_libraries" does not abort the check's transaction.
     *
     * @param context the check's context
     * @return where it is, or why it is unavailable
     * @throws SQLException on any other database error
     */
    static StatStatements find(CheckContext context) throws SQLException {
        ServerFacts facts = context.facts();
        if (facts.extension("pg_stat_statements").isEmpty()) {
            return unavailable("pg_stat_statements is not installed in database " + facts.database() + ". " + ENABLE);
        }
        String preload = facts.setting("shared_preload_libraries").orElse(null);
        if (preload != null && !preload.toLowerCase(Locale.ROOT).contains("pg_stat_statements")) {
            return unavailable("pg_stat_statements is installed in database " + facts.database()
                    + " but not loaded (shared_preload_libraries = '" + preload + "'). " + ENABLE);
        }
        Connection connection = context.connection();
        String view;
        boolean execTime;
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery(Sql.load(StatStatements.class, "pg-stat-statements-view"))) {
            if (!rs.next()) {
                return unavailable("pg_stat_statements is installed but its view is missing. " + ENABLE);
            }
            view = rs.getString("view_name");
            execTime = rs.getBoolean("has_exec_time");
            if (!execTime && !rs.getBoolean("has_time")) {
                return unavailable("pg_stat_statements " + rs.getString("extversion")
                        + " has neither mean_exec_time nor mean_time; update it: ALTER EXTENSION pg_stat_statements UPDATE");
            }
        }
        Savepoint probe = connection.setSavepoint();
        try (Statement st = connection.createStatement()) {
            st.executeQuery("SELECT 1 FROM " + view + " LIMIT 1").close();
            connection.releaseSavepoint(probe);
        } catch (SQLException e) {
            connection.rollback(probe);
            if ("55000".equals(e.getSQLState())) {
                return unavailable("pg_stat_statements is installed in database " + facts.database()
                        + " but not loaded through shared_preload_libraries. " + ENABLE);
            }
            throw e;
        }
        return execTime
                ? new StatStatements(view, "mean_exec_time", "total_exec_time", "")
                : new StatStatements(view, "mean_time", "total_time", "");
    }

    /**
     * Fills a query template's {view}, {mean} and {total} with this view's name and columns (catalog
     * values and fixed column names, never user input).
     *
     * @param template the SQL with placeholders
     * @return the SQL
     */
    String fill(String template) {
        return template.replace("{view}", viewName).replace("{mean}", meanColumn).replace("{total}", totalColumn);
    }

    /**
     * The finding that says why listed statements have no text and which grant shows it.
     *
     * @param facts  the report's server facts
     * @param hidden how many listed statements read {@link #HIDDEN}
     * @return the finding
     */
    static Finding hiddenText(ServerFacts facts, int hidden) {
        return Finding.builder("The text of " + hidden + " listed statement" + (hidden == 1 ? "" : "s")
                        + " of other roles is hidden from " + facts.currentUser() + " (" + HIDDEN + ").")
                .detail("hiddenStatements", hidden)
                .detail("grant", "GRANT pg_read_all_stats TO " + facts.currentUser())
                .build();
    }

    private static StatStatements unavailable(String reason) {
        return new StatStatements("", "", "", reason);
    }
}
