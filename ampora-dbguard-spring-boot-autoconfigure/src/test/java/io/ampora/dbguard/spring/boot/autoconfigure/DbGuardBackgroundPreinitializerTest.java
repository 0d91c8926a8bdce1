package io.ampora.dbguard.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.spring.boot.nodb.NoDatabaseApplication;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.mock.env.MockEnvironment;

/**
 * The background pre-initializer's contract, through real application starts (it is registered in
 * {@code spring.factories}): it runs unless the guard is off, it is ignored or there is one CPU; it loads the
 * check catalogue and the listed classes; and it never opens a database session, even with the database's URL and
 * credentials in the environment.
 */
class DbGuardBackgroundPreinitializerTest {

    @BeforeEach
    @AfterEach
    void forgetEarlierStarts() {
        DbGuardBackgroundPreinitializer.forget(); // once per JVM: other tests' applications may have started it
        System.clearProperty(DbGuardBackgroundPreinitializer.IGNORE_PROPERTY);
    }

    @Test
    void startsWithTheApplicationLoadsTheCheckCatalogueAndNeverOpensASession() throws Exception {
        try (TestDatabase db = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()),
                DbGuardBackgroundPreinitializerTest.class)) {
            long before = sessions(db);
            Map<String, Object> p = new LinkedHashMap<>();
            // the database's URL and credentials are in the environment, but the application defines no DataSource:
            // any session opened during the start would be the pre-initializer's
            p.put("spring.datasource.url", db.jdbcUrl());
            p.put("spring.datasource.username", "postgres");
            p.put("spring.datasource.password", "postgres");
            run(p);
            DbGuardBackgroundPreinitializer.Run run = DbGuardBackgroundPreinitializer.current();
            assertThat(run).as("started on the environment-prepared event").isNotNull();
            assertThat(run.done.await(30, TimeUnit.SECONDS)).isTrue();
            run.thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(run.thread.isAlive()).as("no thread left behind").isFalse();
            assertThat(run.thread.isDaemon()).isTrue();
            DbGuardBackgroundPreinitializer.Outcome outcome = run.outcome;
            System.out.println("background pre-initialization: " + outcome);
            assertThat(outcome).as("finished without an uncaught error").isNotNull();
            assertThat(outcome.checks()).as("checks found through ServiceLoader").isGreaterThan(20);
            assertThat(outcome.sqlResources()).as("SQL resources read into the cache").isGreaterThan(10);
            assertThat(outcome.initialized()).as("starter classes initialized").isGreaterThan(100);
            assertThat(outcome.loaded()).as("driver, pool and Flyway classes loaded").isGreaterThan(200);
            assertThat(outcome.failed()).isZero();
            // + 1: the session that read the count before, counted once it ended
            assertThat(sessions(db) - before - 1).as("sessions opened on the database during the start").isZero();
        }
    }

    @Test
    void doesNotStartWhenTheGuardIsDisabled() {
        run(Map.of("ampora.dbguard.enabled", "false"));
        assertThat(DbGuardBackgroundPreinitializer.current()).isNull();
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .doesNotContain(DbGuardBackgroundPreinitializer.THREAD_NAME);
    }

    @Test
    void doesNotStartWhenIgnoredBySystemPropertyOrWithOneCpu() {
        System.setProperty(DbGuardBackgroundPreinitializer.IGNORE_PROPERTY, "true");
        run(Map.of());
        assertThat(DbGuardBackgroundPreinitializer.current()).isNull();
        System.clearProperty(DbGuardBackgroundPreinitializer.IGNORE_PROPERTY);

        assertThat(DbGuardBackgroundPreinitializer.wanted(new MockEnvironment(), 2)).isTrue();
        assertThat(DbGuardBackgroundPreinitializer.wanted(new MockEnvironment(), 1)).isFalse();
        assertThat(DbGuardBackgroundPreinitializer.wanted(new MockEnvironment()
                .withProperty(DbGuardBackgroundPreinitializer.IGNORE_PROPERTY, "true"), 2)).isFalse();
        assertThat(DbGuardBackgroundPreinitializer.wanted(new MockEnvironment()
                .withProperty("ampora.dbguard.enabled", "nonsense"), 2)).isFalse();
    }

    @Test
    void everyListedStarterClassExists() throws Exception {
        // a renamed or removed class of the starter's modules must leave the list, or it would silently not be
        // preloaded; third-party names may be absent on other versions (Boot 3's) and are skipped
        List<String> names;
        try (InputStream in = DbGuardBackgroundPreinitializer.class.getResourceAsStream(DbGuardBackgroundPreinitializer.CLASSES)) {
            assertThat(in).isNotNull();
            names = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("io.ampora.dbguard.")).toList();
        }
        assertThat(names).hasSizeGreaterThan(100);
        for (String name : names) {
            try {
                assertThat(Class.forName(name, false, getClass().getClassLoader())).as(name).isNotNull();
            } catch (NoClassDefFoundError e) {
                // the class exists but needs a type of the other Boot generation (Boot 4's health API on Boot 3):
                // the pre-initializer counts it as absent there, as the main thread never loads it
                assertThat(e.getMessage()).as(name).startsWith("org/springframework/boot/");
            }
        }
    }

    @Test
    void aListedClassThatIsMissingOrFailsToInitializeIsCountedNeverThrown() {
        String list = "# a comment\n"
                + "io.ampora.dbguard.DbGuard\n"
                + "io.ampora.dbguard.NoSuchClassAnyMore\n"
                + Exploding.class.getName() + "\n"
                + "org.postgresql.Driver\n";
        ClassLoader loader = new ClassLoader(getClass().getClassLoader()) {
            @Override
            public InputStream getResourceAsStream(String name) {
                return name.endsWith("/" + DbGuardBackgroundPreinitializer.CLASSES)
                        ? new java.io.ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8))
                        : super.getResourceAsStream(name);
            }
        };
        DbGuardBackgroundPreinitializer.Outcome outcome = DbGuardBackgroundPreinitializer.preinitialize(loader);
        assertThat(outcome.initialized()).as("DbGuard").isEqualTo(1);
        assertThat(outcome.absent()).as("the missing name").isEqualTo(1);
        assertThat(outcome.failed()).as("the class whose static initializer throws").isEqualTo(1);
        assertThat(outcome.loaded()).as("the driver, loaded only").isEqualTo(1);
        assertThat(outcome.checks()).isGreaterThan(20);
    }

    /** A starter-named class whose static initializer throws. */
    static final class Exploding {
        static final int VALUE = explode();

        private static int explode() {
            throw new IllegalStateException("static initializer failed on purpose");
        }
    }

    /** Starts and stops an application without a DataSource bean (and so without Flyway or JPA). */
    private static void run(Map<String, Object> properties) {
        Map<String, Object> p = new LinkedHashMap<>(properties);
        p.put("spring.autoconfigure.exclude", String.join(",",
                "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
                "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
                "org.springframework.boot.data.jpa.autoconfigure.DataJpaRepositoriesAutoConfiguration",
                "org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration",
                "org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration"));
        try (ConfigurableApplicationContext ignored = new SpringApplicationBuilder(NoDatabaseApplication.class)
                .web(WebApplicationType.NONE).properties(p).run()) {
            // started and ready: the pre-initializer, if it started, was awaited on the ready event
        }
    }

    /** Sessions ended (pg_stat_database, PostgreSQL 14+) plus sessions open on the test database, ours apart. */
    private static long sessions(TestDatabase db) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_catalog.pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery(
                    "SELECT sessions + (SELECT count(*) FROM pg_catalog.pg_stat_activity a WHERE a.datname = d.datname"
                    + " AND a.pid <> pg_catalog.pg_backend_pid()) FROM pg_catalog.pg_stat_database d"
                    + " WHERE d.datname = current_database()")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
