package io.ampora.dbguard.examples.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A hot standby streaming from the demo's running embedded server, built the way {@code pg_basebackup}
 * does it (the embedded bundle has no {@code pg_basebackup}): a physical replication slot so the primary
 * keeps the WAL, the low-level backup API ({@code pg_backup_start}/{@code pg_backup_stop}, before 15
 * {@code pg_start_backup}/{@code pg_stop_backup}) around a file copy of the live data directory, the
 * returned {@code backup_label}, {@code standby.signal} and {@code primary_conninfo}. The primary keeps
 * running throughout. Close it to stop the standby, drop the slot and delete the copy.
 */
final class DemoStandby implements AutoCloseable {

    static final String SLOT = "ampora_demo_standby";
    private static final Set<String> NOT_COPIED = Set.of("postmaster.pid", "postmaster.opts", "epg-lock",
            "backup_label", "tablespace_map");
    private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_subtrans");

    private final DemoEnvironment env;
    private final Path dataDirectory;
    private final EmbeddedPostgres standby;
    private boolean stopped;

    private DemoStandby(DemoEnvironment env, Path dataDirectory, EmbeddedPostgres standby) {
        this.env = env;
        this.dataDirectory = dataDirectory;
        this.standby = standby;
    }

    /**
     * Builds a standby of the demo's server and waits until it streams.
     *
     * @param env the demo environment (its server is the primary)
     * @return the running standby
     * @throws SQLException when the primary refuses
     * @throws IOException  when the copy fails
     */
    static DemoStandby start(DemoEnvironment env) throws SQLException, IOException {
        Path copy = Files.createTempDirectory("ampora-demo-standby-");
        try (Connection c = superuser(env.server().jdbcUrl()); Statement st = c.createStatement()) {
            allowReplication(st);
            int version = Integer.parseInt(single(st, "SHOW server_version_num"));
            Path primaryData = Path.of(single(st, "SHOW data_directory"));
            st.execute("SELECT pg_catalog.pg_create_physical_replication_slot('" + SLOT + "', true)");
            st.execute(version >= 150000 ? "SELECT pg_catalog.pg_backup_start('ampora-demo', true)"
                    : "SELECT pg_catalog.pg_start_backup('ampora-demo', true, false)");
            copyLive(primaryData, copy);
            try (ResultSet rs = st.executeQuery(version >= 150000 ? "SELECT labelfile FROM pg_catalog.pg_backup_stop(false)"
                    : "SELECT labelfile FROM pg_catalog.pg_stop_backup(false, false)")) {
                rs.next();
                Files.writeString(copy.resolve("backup_label"), rs.getString(1), StandardCharsets.UTF_8);
            }
        } catch (SQLException | IOException | RuntimeException e) {
            dropSlot(env);
            deleteQuietly(copy);
            throw e;
        }
        Files.writeString(copy.resolve("standby.signal"), "", StandardCharsets.UTF_8);
        Files.writeString(copy.resolve("postgresql.auto.conf"), "\nprimary_conninfo = 'host=localhost port="
                        + env.server().port() + " user=postgres application_name=ampora-demo-replica'\nprimary_slot_name = '"
                        + SLOT + "'\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        EmbeddedPostgres standby;
        try {
            // a hot standby refuses to start with fewer prepared-transaction slots than its primary
            String preparedSlots = env.adminQuery("SHOW max_prepared_transactions");
            standby = EmbeddedPostgres.builder().setDataDirectory(copy).setCleanDataDirectory(false)
                    .setServerConfig("max_prepared_transactions", preparedSlots)
                    .setServerConfig("max_connections", "40").setServerConfig("max_wal_senders", "4")
                    .setServerConfig("shared_preload_libraries", "pg_stat_statements")
                    .setServerConfig("hot_standby", "on").setServerConfig("wal_receiver_status_interval", "1s")
                    .setPGStartupWait(Duration.ofSeconds(30)).start();
        } catch (SQLException | IOException | RuntimeException e) {
            dropSlot(env);
            deleteQuietly(copy);
            throw e;
        }
        DemoStandby result = new DemoStandby(env, copy, standby);
        try {
            result.awaitStreaming(Duration.ofSeconds(30));
        } catch (SQLException | RuntimeException e) {
            result.close();
            throw e;
        }
        return result;
    }

    /** @return the JDBC URL of the demo database on the standby */
    String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + standby.getPort() + "/" + DemoEnvironment.DATABASE;
    }

    /**
     * Runs SQL as the superuser on the standby.
     *
     * @param sql the statement
     * @return the first column of the first row, or null
     * @throws SQLException when it fails
     */
    String query(String sql) throws SQLException {
        try (Connection c = superuser(jdbcUrl()); Statement st = c.createStatement()) {
            return single(st, sql);
        }
    }

    private void awaitStreaming(Duration timeout) throws SQLException {
        await(timeout, 100, "the demo standby does not stream from the primary",
                () -> "streaming".equals(query("SELECT status FROM pg_catalog.pg_stat_wal_receiver")));
    }

    /** Waits until the standby has replayed what the primary wrote so far. */
    void awaitReplayed(Duration timeout) throws SQLException {
        String target;
        try (Connection c = superuser(env.server().jdbcUrl()); Statement st = c.createStatement()) {
            target = single(st, "SELECT pg_catalog.pg_current_wal_insert_lsn()::text");
        }
        await(timeout, 50, "the demo standby did not replay up to " + target,
                () -> "t".equals(query("SELECT pg_catalog.pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")));
    }

    /**
     * Turns {@code hot_standby_feedback} on and waits until the primary's slot holds the xmin the standby reports:
     * what a reporting standby does so that its long queries are not cancelled by vacuum on the primary.
     *
     * @param timeout how long to wait for the slot's xmin
     * @throws SQLException when a statement fails
     */
    void sendFeedback(Duration timeout) throws SQLException {
        try (Connection c = superuser(jdbcUrl()); Statement st = c.createStatement()) {
            st.execute("ALTER SYSTEM SET hot_standby_feedback = on");
            st.execute("SELECT pg_catalog.pg_reload_conf()");
        }
        await(timeout, 100, "the demo standby's slot holds no xmin", () -> "t".equals(env.adminQuery(
                "SELECT xmin IS NOT NULL FROM pg_catalog.pg_replication_slots WHERE slot_name = '" + SLOT + "'")));
    }

    /**
     * Stops the standby for good but leaves its slot on the primary, as a decommissioned standby does whose slot
     * nobody dropped; waits until the primary sees the slot inactive. {@link #close()} drops the slot.
     *
     * @param timeout how long to wait for the slot to turn inactive
     * @throws SQLException when the primary cannot be read
     */
    void stopLeavingSlot(Duration timeout) throws SQLException {
        stopServer();
        await(timeout, 100, "the demo standby's slot is still active after its stop", () -> "false".equals(
                env.adminQuery("SELECT active::text FROM pg_catalog.pg_replication_slots WHERE slot_name = '" + SLOT
                        + "'")));
    }

    /** A state the demo waits for, read with SQL. */
    @FunctionalInterface
    private interface Condition {
        boolean holds() throws SQLException;
    }

    /** Polls a condition every {@code everyMillis} until it holds; fails with "{@code failure} within {timeout}". */
    private static void await(Duration timeout, long everyMillis, String failure, Condition condition)
            throws SQLException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(failure + " within " + timeout);
            }
            sleep(everyMillis);
        }
    }

    private void stopServer() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            standby.close();
        } catch (IOException e) {
            // best effort
        }
    }

    @Override
    public void close() {
        stopServer();
        dropSlot(env);
        deleteQuietly(dataDirectory);
    }

    private static void allowReplication(Statement st) throws SQLException, IOException {
        Path hba = Path.of(single(st, "SHOW hba_file"));
        String current = Files.readString(hba, StandardCharsets.UTF_8);
        if (!current.contains("replication")) {
            Files.writeString(hba, "host replication postgres 127.0.0.1/32 trust\nhost replication postgres ::1/128 trust\n",
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            st.execute("SELECT pg_catalog.pg_reload_conf()");
        }
    }

    private static void dropSlot(DemoEnvironment env) {
        try (Connection c = superuser(env.server().jdbcUrl()); Statement st = c.createStatement()) {
            for (int i = 0; i < 50; i++) {
                String active = single(st, "SELECT active::text FROM pg_catalog.pg_replication_slots WHERE slot_name = '" + SLOT + "'");
                if (active == null) {
                    return;
                }
                if ("false".equals(active)) {
                    st.execute("SELECT pg_catalog.pg_drop_replication_slot('" + SLOT + "')");
                    return;
                }
                sleep(100);
            }
        } catch (SQLException e) {
            // the slot stays; the embedded server is thrown away at the end of the demo
        }
    }

    private static void copyLive(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path relative = from.relativize(source);
                if (relative.getNameCount() == 0 || NOT_COPIED.contains(relative.toString())) {
                    continue;
                }
                if (relative.getNameCount() > 1 && EMPTIED.contains(relative.getName(0).toString())) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                try {
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (NoSuchFileException gone) {
                    // a temporary file removed while copying: WAL replay covers it
                }
            }
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e;
            }
        }
        Files.createDirectories(to.resolve("pg_wal").resolve("archive_status"));
    }

    private static Connection superuser(String url) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return new org.postgresql.Driver().connect(url, p);
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temporary directory
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
