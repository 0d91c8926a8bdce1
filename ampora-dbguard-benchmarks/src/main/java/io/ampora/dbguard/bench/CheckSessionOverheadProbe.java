package io.ampora.dbguard.bench;

import io.ampora.dbguard.testing.PostgresServer;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A measured run, not a test: where the time of a small catalog check goes on {@link CatalogScaleBenchmark}'s
 * schema. For {@code invalid-indexes} and {@code sequence-exhaustion} against pg-index-health 0.20.3's
 * {@code invalid_indexes} and {@code sequence_overflow} queries: the server's planning and execution time
 * ({@code EXPLAIN (ANALYZE, SUMMARY)}), then the client's wall time of the query through three session
 * shapes on one kept connection: the peer's (autocommit, one round trip), a borrowed connection's (BEGIN,
 * {@code SET TRANSACTION READ ONLY} + {@code set_config(..., true)} x4 in their own round trip, the query,
 * ROLLBACK: what {@code ReadOnlySession} sends on a pool's connection) and an owned connection's (settings
 * set once per physical connection at session level; per check: the query in a transaction, ROLLBACK).
 *
 * <p>Run (from the repository root): {@code mvn -B -q -o package -DskipTests -pl ampora-dbguard-benchmarks -am}
 * then {@code java -cp ampora-dbguard-benchmarks/target/benchmarks.jar io.ampora.dbguard.bench.CheckSessionOverheadProbe [tables] [runs]}
 * (10000, 200: about 2 min, most of it the schema build).
 */
public final class CheckSessionOverheadProbe {

    private static final PrintStream OUT = System.out;
    private static final String SETUP = "SET TRANSACTION READ ONLY;"
            + " SELECT pg_catalog.set_config('statement_timeout', '30000', true),"
            + " pg_catalog.set_config('lock_timeout', '1000', true),"
            + " pg_catalog.set_config('idle_in_transaction_session_timeout', '40000', true),"
            + " pg_catalog.set_config('application_name', 'ampora-dbguard', true)";

    private CheckSessionOverheadProbe() {
    }

    /**
     * @param args optional: tables (10000), runs per measurement (200)
     * @throws Exception when the server or the schema cannot be set up
     */
    public static void main(String[] args) throws Exception {
        int tables = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        PostgresServer server = PostgresServers.get(new ServerSpec("17", Map.of(
                "max_locks_per_transaction", "1024"), false));
        try (TestDatabase db = TestDatabase.create(server, CheckSessionOverheadProbe.class)) {
            long start = System.nanoTime();
            CatalogScaleBenchmark.build(db, tables);
            db.execute("ANALYZE");
            OUT.printf(Locale.ROOT, "built %s in %.1f s%n", CatalogScaleBenchmark.census(db), (System.nanoTime() - start) / 1e9);
            Map<String, String> queries = new LinkedHashMap<>();
            queries.put("ours invalid-indexes", resource("io/ampora/dbguard/runbook/maintenance/invalid-indexes.sql"));
            queries.put("peer invalid_indexes", peer("sql/invalid_indexes.sql"));
            queries.put("ours sequence-exhaustion", resource("io/ampora/dbguard/runbook/maintenance/sequence-exhaustion.sql"));
            queries.put("peer sequence_overflow", peer("sql/sequence_overflow.sql"));
            // -Dvariants=a.sql,b.sql: more queries to compare (named by their file)
            for (String file : System.getProperty("variants", "").split(",")) {
                if (!file.isBlank()) {
                    queries.put(java.nio.file.Path.of(file).getFileName().toString(),
                            java.nio.file.Files.readString(java.nio.file.Path.of(file)));
                }
            }
            try (Connection c = db.dataSource().getConnection()) {
                OUT.println("server side, EXPLAIN (ANALYZE, SUMMARY), ms min/median/max over " + Math.min(runs, 50) + " runs:");
                for (Map.Entry<String, String> q : queries.entrySet()) {
                    explain(c, q.getKey(), q.getValue(), Math.min(runs, 50));
                }
                OUT.printf(Locale.ROOT, "round trip of SELECT 1: %s us%n", spread(time(c, runs, () -> one(c, "SELECT 1"))));
                OUT.println("client wall time per check query, us min/median/max over " + runs + " runs (one kept connection):");
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT set_config('application_name', 'probe', false)");
                }
                for (Map.Entry<String, String> q : queries.entrySet()) {
                    String sql = q.getValue();
                    List<Long> peerShape = time(c, runs, () -> query(c, sql));
                    List<Long> borrowed = time(c, runs, () -> {
                        c.setAutoCommit(false);
                        try (Statement st = c.createStatement()) {
                            st.execute(SETUP);
                        }
                        query(c, sql);
                        c.rollback();
                        c.setAutoCommit(true);
                    });
                    List<Long> borrowedToQuery = time(c, runs, () -> {
                        c.setAutoCommit(false);
                        try (Statement st = c.createStatement()) {
                            st.execute(SETUP);
                        }
                        query(c, sql);
                    }, () -> {
                        c.rollback();
                        c.setAutoCommit(true);
                    });
                    try (Statement st = c.createStatement()) {
                        st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;"
                                + " SELECT set_config('statement_timeout', '30000', false),"
                                + " set_config('lock_timeout', '1000', false),"
                                + " set_config('idle_in_transaction_session_timeout', '40000', false)");
                    }
                    List<Long> owned = time(c, runs, () -> {
                        c.setAutoCommit(false);
                        query(c, sql);
                        c.rollback();
                        c.setAutoCommit(true);
                    });
                    List<Long> ownedToQuery = time(c, runs, () -> {
                        c.setAutoCommit(false);
                        query(c, sql);
                    }, () -> {
                        c.rollback();
                        c.setAutoCommit(true);
                    });
                    try (Statement st = c.createStatement()) {
                        st.execute("RESET ALL");
                    }
                    OUT.printf(Locale.ROOT, "  %-26s peer shape %s | borrowed: whole %s, to the result %s | owned: whole %s, to the result %s%n",
                            q.getKey(), spread(peerShape), spread(borrowed), spread(borrowedToQuery), spread(owned), spread(ownedToQuery));
                }
            }
        }
        System.exit(0);
    }

    private interface Step {
        void run() throws Exception;
    }

    private static List<Long> time(Connection c, int runs, Step step) throws Exception {
        return time(c, runs, step, () -> { });
    }

    /** Times {@code step} (after 20 warm-ups), running {@code after} untimed after each. */
    private static List<Long> time(Connection c, int runs, Step step, Step after) throws Exception {
        List<Long> us = new ArrayList<>();
        for (int i = 0; i < runs + 20; i++) {
            long t = System.nanoTime();
            step.run();
            long took = (System.nanoTime() - t) / 1_000;
            after.run();
            if (i >= 20) {
                us.add(took);
            }
        }
        return us;
    }

    private static void one(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                rs.getObject(1);
            }
        }
    }

    private static void query(Connection c, String sql) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rs.getObject(1);
            }
        }
    }

    private static void explain(Connection c, String name, String sql, int runs) throws Exception {
        List<Double> planning = new ArrayList<>();
        List<Double> execution = new ArrayList<>();
        String plan = "";
        for (int i = 0; i < runs + 3; i++) {
            StringBuilder sb = new StringBuilder();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("EXPLAIN (ANALYZE, SUMMARY) " + sql)) {
                while (rs.next()) {
                    String line = rs.getString(1);
                    sb.append(line).append('\n');
                    if (i >= 3 && line.startsWith("Planning Time:")) {
                        planning.add(Double.parseDouble(line.replaceAll("[^0-9.]", "")));
                    } else if (i >= 3 && line.startsWith("Execution Time:")) {
                        execution.add(Double.parseDouble(line.replaceAll("[^0-9.]", "")));
                    }
                }
            }
            plan = sb.toString();
        }
        OUT.printf(Locale.ROOT, "  %-26s planning %s, execution %s%n", name, spreadD(planning), spreadD(execution));
        if (System.getProperty("plans") != null) {
            OUT.println(plan);
        }
    }

    private static String resource(String path) throws Exception {
        try (InputStream in = CheckSessionOverheadProbe.class.getClassLoader().getResourceAsStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String peer(String path) throws Exception {
        return resource(path).replace(":schema_name_param", "'public'")
                .replace(":remaining_percentage_threshold", "20");
    }

    private static String spread(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(Long::compare);
        return sorted.get(0) + "/" + sorted.get(sorted.size() / 2) + "/" + sorted.get(sorted.size() - 1);
    }

    private static String spreadD(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return String.format(Locale.ROOT, "%.3f/%.3f/%.3f", sorted.get(0), sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1));
    }
}
