package io.ampora.dbguard.runbook.bloat;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The opt-in exact mode of the bloat checks ({@code exactTop} above 0): the top findings are measured
 * with the pgstattuple extension instead of only estimated. Unlike the estimate this reads the relation:
 * {@code pgstatindex} reads every page of the index, {@code pgstattuple_approx} every page of the table
 * that is not all-visible (the free space of the all-visible ones comes from the free space map), under an
 * ACCESS SHARE lock like a SELECT. So it is bounded: at most {@code exactTop} relations, at most
 * {@code exactMaxBytes} of relation size in one run, no new measurement once half of the check's budget
 * is spent, and each call under the session's statement_timeout and lock_timeout (a call that fails or is
 * cancelled is rolled back to a savepoint and its relation keeps the estimate, with the reason). Without
 * the extension, or without EXECUTE on its function (granted to {@code pg_stat_scan_tables}), every
 * relation keeps its estimate with the reason and the grant: never a made-up figure.
 */
final class Exact {

    private Exact() {
    }

    /** How a row of the extension function becomes a bloat percent, given the relation's estimate. */
    interface Formula {
        double bloatPercent(ResultSet rs, Bloat.Estimate e, long blockSize) throws SQLException;
    }

    /**
     * How one check measures a relation exactly.
     *
     * @param function the pgstattuple function ({@code pgstattuple_approx} or {@code pgstatindex})
     * @param columns  the select list over its row; must include the relation's size in bytes as {@code bytes}
     * @param formula  the bloat percent from that row
     */
    record Method(String function, String columns, Formula formula) {
    }

    /** Tables: free space plus dead tuples beyond the table's fillfactor reserve (VACUUM FULL keeps that too). */
    static final Method TABLE = new Method("pgstattuple_approx",
            "table_len AS bytes, approx_free_percent + dead_tuple_percent AS free_and_dead",
            (rs, e, blockSize) -> {
                double fillfactor = ((Number) e.row().get("fillfactor")).doubleValue();
                return 100 - (100 - rs.getDouble("free_and_dead")) * 100 / fillfactor;
            });

    /** Btree indexes: the share of pages the live leaf data would not fill at the index's fillfactor. */
    static final Method INDEX = new Method("pgstatindex",
            "index_size AS bytes, leaf_pages, avg_leaf_density",
            (rs, e, blockSize) -> {
                double pages = rs.getDouble("bytes") / blockSize;
                double density = rs.getDouble("avg_leaf_density");
                double used = rs.getLong("leaf_pages") * (Double.isNaN(density) ? 0 : density);
                double fillfactor = ((Number) e.row().get("fillfactor")).doubleValue();
                return pages <= 0 ? 0 : 100 * (1 - used / fillfactor / pages);
            });

    /**
     * A relation's exact figure.
     *
     * @param function     the function that measured it
     * @param bloatPercent the measured reclaimable share
     * @param reclaimable  the measured reclaimable bytes
     */
    record Measured(String function, double bloatPercent, long reclaimable) {
    }

    /**
     * Measures the given relations (the top findings, largest first) within the bounds; the others of
     * the list are returned unchanged.
     *
     * @return the same relations, each with its exact figure or the reason it has none
     */
    static List<Bloat.Estimate> measure(CheckContext context, Method method, List<Bloat.Estimate> top,
                                        Bloat.Limits limits) throws SQLException {
        Available available = available(context, method);
        List<Bloat.Estimate> out = new ArrayList<>();
        if (available.reason() != null) {
            top.forEach(e -> out.add(e.withExactReason(available.reason())));
            return out;
        }
        String sql = "SELECT " + method.columns() + " FROM " + available.function()
                + "(?::pg_catalog.int8::pg_catalog.oid::pg_catalog.regclass)";
        long blockSize = context.facts().settingAsLong("block_size", 8192);
        long halfBudgetNanos = context.timeout().toNanos() / 2;
        long bytesRead = 0;
        for (Bloat.Estimate e : top) {
            if (System.nanoTime() - limits.startedNanos() > halfBudgetNanos) {
                out.add(e.withExactReason("not measured: half of the check's time budget ("
                        + SettingValues.format(context.timeout()) + ") is spent; raise the check's timeout or lower"
                        + " exactTop"));
            } else if (bytesRead + e.sizeBytes() > limits.exactMaxBytes()) {
                out.add(e.withExactReason("not measured: reading its " + SettingValues.formatBytes(e.sizeBytes())
                        + " would take this run past exactMaxBytes (" + SettingValues.formatBytes(limits.exactMaxBytes())
                        + ", " + SettingValues.formatBytes(bytesRead) + " already read)"));
            } else {
                bytesRead += e.sizeBytes();
                out.add(measureOne(context.connection(), method, sql, e, blockSize, context.timeout()));
            }
        }
        return out;
    }

    /** The function's qualified name, or why the exact mode cannot run and what to do (then function is null). */
    private record Available(String function, String reason) {

        static Available not(String reason) {
            return new Available(null, reason);
        }
    }

    private static Available available(CheckContext context, Method method) throws SQLException {
        if (context.facts().extension("pgstattuple").isEmpty()) {
            return Available.not("pgstattuple is not installed in this database, so the exact mode (exactTop) fell back to the"
                    + " estimate: CREATE EXTENSION pgstattuple; (as a superuser) to measure the top findings exactly");
        }
        try (PreparedStatement ps = context.connection().prepareStatement(Sql.load(Exact.class, "bloat-exact-functions"))) {
            ps.setString(1, method.function());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Available.not("the installed pgstattuple has no " + method.function() + "(regclass):"
                            + " ALTER EXTENSION pgstattuple UPDATE; to measure exactly");
                }
                if (!rs.getBoolean("can_execute")) {
                    String role = rs.getString("role");
                    return Available.not("role " + role + " may not execute " + rs.getString("signature") + ", so the exact mode"
                            + " fell back to the estimate: GRANT pg_stat_scan_tables TO " + role + "; (or GRANT EXECUTE"
                            + " ON FUNCTION " + rs.getString("signature") + " TO " + role + ";)");
                }
                return new Available(rs.getString("function_name"), null);
            }
        }
    }

    private static Bloat.Estimate measureOne(Connection connection, Method method, String sql, Bloat.Estimate e,
                                             long blockSize, Duration timeout) throws SQLException {
        Savepoint savepoint = connection.setSavepoint();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setLong(1, e.relid());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long bytes = rs.getLong("bytes");
                double percent = Math.max(0, Math.round(method.formula().bloatPercent(rs, e, blockSize) * 10) / 10.0);
                connection.releaseSavepoint(savepoint);
                return e.withExact(new Measured(method.function(), percent, Math.round(bytes * percent / 100)));
            }
        } catch (SQLException failed) {
            connection.rollback(savepoint);
            String why = switch (String.valueOf(failed.getSQLState())) {
                case "57014" -> "cancelled by statement_timeout (the check's budget, " + SettingValues.format(timeout)
                        + "): raise the check's timeout or lower exactMaxBytes";
                case "55P03" -> "its ACCESS SHARE lock was not granted within lock_timeout (an ACCESS EXCLUSIVE lock"
                        + " is held or queued on it)";
                default -> failed.getMessage() + " (SQLSTATE " + failed.getSQLState() + ")";
            };
            return e.withExactReason("not measured: " + method.function() + " failed: " + why);
        }
    }
}
