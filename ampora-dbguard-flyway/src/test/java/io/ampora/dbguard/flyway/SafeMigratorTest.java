package io.ampora.dbguard.flyway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safe runner on a real wedge: a session keeps a transaction open after reading the table a
 * migration alters. The migration gives up after lock_timeout instead of queueing readers behind itself,
 * the blocker is named, and a retry succeeds once the blocker ends.
 */
@WithPostgres
class SafeMigratorTest {

    static Path migrations(Path dir) throws Exception {
        Files.writeString(dir.resolve("V1__accounts.sql"), "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
                + "INSERT INTO accounts SELECT g, 'u' || g FROM generate_series(1, 1000) AS g;");
        Files.writeString(dir.resolve("V2__add_note.sql"), "ALTER TABLE accounts ADD COLUMN note text;");
        return dir;
    }

    static FlywayGuard guard(Path dir, String schema) {
        return FlywayGuard.custom().locations("filesystem:" + dir.toAbsolutePath()).schemas(schema).build();
    }

    /** A session that read the table and keeps its transaction open, as a long report would. */
    static Connection holdReadLock(Connection holder, String table) throws SQLException {
        try (Statement st = holder.createStatement()) {
            st.execute("SET application_name = 'nightly-report'");
            holder.setAutoCommit(false);
            st.execute("SELECT count(*) FROM " + table);
        }
        return holder;
    }

    static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void migrationGivesUpAfterLockTimeoutNamesTheBlockerAndSucceedsOnRetryOnceItEnds(TestDatabase db, @TempDir Path dir)
            throws Exception {
        FlywayGuard guard = guard(migrations(dir), "retry");
        guard.safeMigrator().migrate(db.dataSource());
        db.execute("DELETE FROM retry.flyway_schema_history WHERE version = '2'; ALTER TABLE retry.accounts DROP COLUMN note");
        Connection holder = db.openSession();
        int holderPid = pid(holder);
        holdReadLock(holder, "retry.accounts");
        List<String> timeouts = new CopyOnWriteArrayList<>();

        var result = guard.safeMigrator().lockTimeout(Duration.ofMillis(800)).retries(3).backoff(Duration.ofMillis(200))
                .onLockTimeout(line -> {
                    timeouts.add(line);
                    try {
                        holder.rollback();   // the report ends: the next attempt gets its lock
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .migrate(db.dataSource());

        assertThat(timeouts).singleElement().satisfies(line -> assertThat(line)
                .startsWith("attempt 1 of 4: V2__add_note.sql gave up after lock_timeout 800ms waiting for a lock;"
                        + " held by pid " + holderPid + " (application 'nightly-report', user ")
                .contains("idle in transaction, transaction open for ")
                .endsWith("query: SELECT count(*) FROM retry.accounts)"));
        assertThat(result.migrationsExecuted).isEqualTo(1);
        assertThat(db.queryString("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'retry'"
                + " AND table_name = 'accounts' AND column_name = 'note'")).isEqualTo("1");
    }

    @Test
    void migrationFailsWithTheEvidenceAfterTheLastRetryAndNeverQueuesReadersLongerThanLockTimeout(TestDatabase db,
            @TempDir Path dir) throws Exception {
        FlywayGuard guard = guard(migrations(dir), "wedge");
        guard.safeMigrator().migrate(db.dataSource());
        db.execute("DELETE FROM wedge.flyway_schema_history WHERE version = '2'; ALTER TABLE wedge.accounts DROP COLUMN note");
        Connection holder = db.openSession();
        int holderPid = pid(holder);
        holdReadLock(holder, "wedge.accounts");
        Duration lockTimeout = Duration.ofMillis(1000);

        // A reader keeps querying the table while the migration waits: each query queues behind the
        // migration's pending ACCESS EXCLUSIVE request, at most until lock_timeout makes it give up.
        List<Long> readerMs = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = new Thread(() -> {
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                while (reading.get()) {
                    long start = System.nanoTime();
                    st.executeQuery("SELECT count(*) FROM wedge.accounts").close();
                    readerMs.add((System.nanoTime() - start) / 1_000_000);
                    Thread.sleep(50);
                }
            } catch (Exception e) {
                readerMs.add(-1L);
            }
        });
        reader.start();
        try {
            assertThatThrownBy(() -> guard.safeMigrator().lockTimeout(lockTimeout).retries(2)
                    .backoff(Duration.ofMillis(300)).migrate(db.dataSource()))
                    .isInstanceOf(MigrationLockTimeoutException.class)
                    .hasMessageContaining("could not get its lock in 3 attempts (lock_timeout 1.0s)")
                    .hasMessageContaining("attempt 3 of 3: V2__add_note.sql gave up after lock_timeout 1.0s")
                    .hasMessageContaining("held by pid " + holderPid + " (application 'nightly-report'")
                    .hasMessageContaining("query: SELECT count(*) FROM wedge.accounts)")
                    .hasMessageContaining("pg_terminate_backend")
                    .satisfies(e -> assertThat(((MigrationLockTimeoutException) e).attempts()).hasSize(3));
        } finally {
            reading.set(false);
            reader.join();
            holder.rollback();
        }

        List<Long> measured = new ArrayList<>(readerMs);
        Collections.sort(measured);
        System.out.println("reader query durations while the migration waited (ms, sorted; lock_timeout "
                + lockTimeout.toMillis() + " ms): n=" + measured.size() + " min=" + measured.get(0) + " p50="
                + measured.get(measured.size() / 2) + " max=" + measured.get(measured.size() - 1));
        assertThat(measured).as("every reader query completed").doesNotContain(-1L).isNotEmpty();
        assertThat(measured.get(measured.size() - 1)).as("no reader waited for ever behind the migration")
                .isLessThan(lockTimeout.toMillis() * 5);
        assertThat(db.queryString("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'wedge'"
                + " AND table_name = 'accounts' AND column_name = 'note'")).isEqualTo("0");
    }
}
