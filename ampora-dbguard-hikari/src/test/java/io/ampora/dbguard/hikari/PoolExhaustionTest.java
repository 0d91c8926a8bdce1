package io.ampora.dbguard.hikari;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

@WithPostgres
class PoolExhaustionTest {

    @Test
    void exhaustionByPgSleepHoldersIsDiagnosedAsLongRunningQueriesWithTheQuery(TestDatabase db) throws Exception {
        List<PoolDiagnosis> seen = new CopyOnWriteArrayList<>();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 700), PoolGuardConfig.custom()
                .listener(Pools.exhaustionsInto(seen)).build())) {
            List<Thread> sleepers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(() -> {
                    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                        st.execute("SELECT pg_sleep(30) /* slow report */");
                    } catch (Exception e) {
                        // cancelled at the end of the test
                    }
                });
                t.start();
                sleepers.add(t);
            }
            assertThat(Pools.await(Duration.ofSeconds(10), () -> sleeping(db) == 2)).isTrue();

            PoolExhaustedException e = catchThrowableOfType(PoolExhaustedException.class, pool::getConnection);

            assertThat((Object) e).isInstanceOf(SQLTransientConnectionException.class);
            assertThat(e.getCause()).isInstanceOf(SQLTransientConnectionException.class);
            assertThat(e.getSQLState()).isEqualTo(((SQLTransientConnectionException) e.getCause()).getSQLState());
            PoolDiagnosis d = e.diagnosis();
            assertThat(d.cause()).isEqualTo(ExhaustionCause.LONG_RUNNING_QUERIES);
            assertThat(d.summary()).contains("2 of 2 borrowed connections are running queries");
            assertThat(d.evidence()).hasSize(2).allSatisfy(line -> assertThat(line)
                    .contains("SELECT pg_sleep(30) /* slow report */").containsPattern("pid \\d+ active for"));
            assertThat(e.getMessage()).contains("Connection is not available", "LONG_RUNNING_QUERIES", "Fix:");
            assertThat(seen).containsExactly(d);

            db.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%slow report%'"
                    + " AND pid <> pg_backend_pid()");
            for (Thread t : sleepers) {
                t.join(10_000);
            }
        }
    }

    private static long sleeping(TestDatabase db) {
        try {
            return Long.parseLong(db.queryString("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                    + " AND query LIKE '%slow report%' AND pid <> pg_backend_pid()"));
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void exhaustionByIdleBorrowedConnectionsIsDiagnosedAsLeakWithTheBorrowSites(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 500), PoolGuardConfig.custom()
                .leakThreshold(Duration.ofMillis(300)).sampleEvery(1).build())) {
            List<Connection> leaked = new ArrayList<>();
            Thread worker = new Thread(() -> leakTwoConnections(pool, leaked));
            worker.start();
            worker.join();
            Thread.sleep(400);

            PoolExhaustedException e = catchThrowableOfType(PoolExhaustedException.class, pool::getConnection);

            PoolDiagnosis d = e.diagnosis();
            assertThat(d.cause()).isEqualTo(ExhaustionCause.LEAK);
            assertThat(d.summary()).contains("2 of 2 borrowed connections are held without being used");
            assertThat(d.evidence()).singleElement().satisfies(line -> assertThat(line)
                    .startsWith("2 connection(s) borrowed at")
                    .contains("PoolExhaustionTest.leakTwoConnections")
                    .contains("session 'idle'"));
            assertThat(d.remediation()).contains("try-with-resources");
            for (Connection c : leaked) {
                c.close();
            }
        }
    }

    private static void leakTwoConnections(GuardedPool pool, List<Connection> into) {
        try {
            for (int i = 0; i < 2; i++) {
                into.add(pool.getConnection());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void threadTakingASecondConnectionWhileHoldingOneIsDiagnosedAsNestedAcquisition(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 1, 400), PoolGuardConfig.custom().sampleEvery(1).build());
             Connection outer = pool.getConnection()) {
            PoolExhaustedException e = catchThrowableOfType(PoolExhaustedException.class, pool::getConnection);

            assertThat(e.diagnosis().cause()).isEqualTo(ExhaustionCause.NESTED_ACQUISITION);
            assertThat(e.diagnosis().summary()).contains("This thread ('" + Thread.currentThread().getName()
                    + "') already holds 1 connection(s)");
            assertThat(e.diagnosis().evidence()).singleElement().satisfies(line -> assertThat(line)
                    .contains("threadTakingASecondConnectionWhileHoldingOneIsDiagnosedAsNestedAcquisition"));
            assertThat(outer.isValid(1)).isTrue();
        }
    }

    @Test
    void threadsDeadlockedOnSecondConnectionsAreDiagnosedAsNestedAcquisition(TestDatabase db) throws Exception {
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 2, 1500), PoolGuardConfig.custom().sampleEvery(1).build())) {
            CountDownLatch bothHold = new CountDownLatch(2);
            List<PoolDiagnosis> diagnoses = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(() -> {
                    try (Connection first = pool.getConnection()) {
                        bothHold.countDown();
                        bothHold.await();
                        try (Connection second = pool.getConnection()) {
                            second.isValid(1);
                        }
                    } catch (PoolExhaustedException e) {
                        diagnoses.add(e.diagnosis());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join(10_000);
            }
            assertThat(diagnoses).isNotEmpty().allSatisfy(d -> assertThat(d.cause()).isEqualTo(ExhaustionCause.NESTED_ACQUISITION));
        }
    }

    @Test
    void poolThatCannotConnectIsDiagnosedAsDatabaseUnreachableWithTheRunbookCause(TestDatabase db) throws Exception {
        int freePort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            freePort = socket.getLocalPort();
        }
        com.zaxxer.hikari.HikariConfig c = new com.zaxxer.hikari.HikariConfig();
        c.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + freePort + "/nowhere");
        c.setUsername("nobody");
        c.setInitializationFailTimeout(-1);
        c.setConnectionTimeout(700);
        c.setMaximumPoolSize(2);
        try (GuardedPool pool = GuardedPool.wrap(new com.zaxxer.hikari.HikariDataSource(c))) {
            PoolExhaustedException e = catchThrowableOfType(PoolExhaustedException.class, pool::getConnection);

            assertThat(e.diagnosis().cause()).isEqualTo(ExhaustionCause.DATABASE_UNREACHABLE);
            assertThat(e.diagnosis().summary()).contains("nothing is listening");
            assertThat(e.diagnosis().evidence()).singleElement().satisfies(l -> assertThat(l).startsWith("Cause CONNECTION_REFUSED"));
            assertThat(e.getSQLState()).isEqualTo("08001");
        }
    }

    @Test
    void exhaustionByShortBusyLeasesIsDiagnosedAsPoolUndersized(TestDatabase db) throws Exception {
        // leases of 100ms against a 1s connectionTimeout: young, and 20 threads queue for longer than 1s. Which
        // borrower times out is HikariCP's choice (its hand-off is not first come, first served), so every
        // exhaustion of the run is collected, the workers' as well
        List<PoolDiagnosis> seen = new CopyOnWriteArrayList<>();
        try (GuardedPool pool = GuardedPool.wrap(Pools.hikari(db, 1, 1000), PoolGuardConfig.custom()
                .listener(Pools.exhaustionsInto(seen)).build())) {
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Thread t = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        try (Connection c = pool.getConnection()) {
                            Thread.sleep(100);
                        } catch (Exception e) {
                            // the workers time out too: their diagnoses are collected by the listener
                        }
                    }
                });
                t.start();
                workers.add(t);
            }
            for (Thread t : workers) {
                t.join();
            }

            assertThat(seen).isNotEmpty().allSatisfy(d -> {
                assertThat(d.cause()).isEqualTo(ExhaustionCause.POOL_UNDERSIZED);
                assertThat(d.summary()).contains("are in short use");
            });
        }
    }
}
