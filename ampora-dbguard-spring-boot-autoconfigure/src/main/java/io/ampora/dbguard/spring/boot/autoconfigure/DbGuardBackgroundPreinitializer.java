package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Sql;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Loads, on a daemon thread while Boot prepares the context, the classes the starter needs later on the main thread
 * (the idea of Boot's own {@code BackgroundPreinitializer}): the check catalogue ({@link DbGuard#discoverChecks()},
 * each check's SQL resource into {@link Sql}'s cache), the guard, report, monitor, pool guard and integration
 * classes, and the classes of the JDBC driver, HikariCP and Flyway that the starter's first connection and the
 * checks before Flyway migrates use. The names are listed in {@code preinitialize-classes.txt} beside this class,
 * in the order the main thread needs them; the starter's own ({@code io.ampora.dbguard.*}) are initialized, the
 * others only loaded (their static initializers stay on the thread that first uses them).
 *
 * <p>It changes nothing but the JVM's class state and that cache: no database access (it never sees a DataSource),
 * no configuration read beyond the three switches below. It never fails the start (every error is swallowed, the
 * class is then loaded again by the main thread as without it) and the main thread never waits for it, except when
 * the application is ready or failed (at most 10 s) so that no thread is left behind.
 *
 * <p>Starts on {@link ApplicationEnvironmentPreparedEvent}, once per JVM, unless {@code ampora.dbguard.enabled=false},
 * {@value #IGNORE_PROPERTY}{@code =true} (a system property, like Boot's {@code spring.backgroundpreinitializer.ignore},
 * or any other property source of the environment) or the JVM has a single CPU. Registered in
 * {@code META-INF/spring.factories}.
 */
public final class DbGuardBackgroundPreinitializer implements ApplicationListener<SpringApplicationEvent>, Ordered {

    /** Set to {@code true} to skip the background class loading. */
    public static final String IGNORE_PROPERTY = DbGuardProperties.PREFIX + ".background-preinitializer.ignore";

    static final String CLASSES = "preinitialize-classes.txt";
    static final String THREAD_NAME = "dbguard-preinitializer";
    static final long AWAIT_SECONDS = 10;

    private static final String OWN = "io.ampora.dbguard.";
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile Run run;

    /** Created by Boot. */
    public DbGuardBackgroundPreinitializer() {
    }

    /** What one pre-initialization did: counts, for the tests and the design notes. */
    record Outcome(int initialized, int loaded, int absent, int failed, int checks, int sqlResources, long nanos) {
    }

    /** The pre-initialization started in this JVM: its thread and, once done, its outcome. */
    static final class Run {
        final CountDownLatch done = new CountDownLatch(1);
        final Thread thread = new Thread(() -> work(this), THREAD_NAME);
        volatile Outcome outcome;
    }

    @Override
    public int getOrder() {
        return LoggingApplicationListener.DEFAULT_ORDER + 1; // after logging is set up, like Boot's pre-initializer
    }

    @Override
    public void onApplicationEvent(SpringApplicationEvent event) {
        if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
            if (wanted(prepared.getEnvironment(), Runtime.getRuntime().availableProcessors())
                    && STARTED.compareAndSet(false, true)) {
                start();
            }
        } else if (event instanceof ApplicationReadyEvent || event instanceof ApplicationFailedEvent) {
            Run current = run;
            if (current != null) {
                try {
                    current.done.await(AWAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Whether to start: the guard on, not ignored, and a second CPU to run on. */
    static boolean wanted(Environment environment, int cpus) {
        try {
            return cpus > 1
                    && !Boolean.getBoolean(IGNORE_PROPERTY)
                    && !environment.getProperty(IGNORE_PROPERTY, Boolean.class, false)
                    && environment.getProperty(DbGuardProperties.PREFIX + ".enabled", Boolean.class, true);
        } catch (RuntimeException e) {
            return false; // a malformed value: the start reports it where the property is bound, not here
        }
    }

    private static void start() {
        try {
            ClassLoader loader = DbGuardBackgroundPreinitializer.class.getClassLoader();
            Run started = new Run();
            started.thread.setDaemon(true);
            started.thread.setContextClassLoader(loader);
            run = started;
            started.thread.start();
        } catch (Throwable e) {
            Run failed = run;
            if (failed != null) {
                failed.done.countDown(); // nothing to wait for
            }
        }
    }

    private static void work(Run mine) {
        try {
            Outcome outcome = preinitialize(DbGuardBackgroundPreinitializer.class.getClassLoader());
            mine.outcome = outcome;
            org.slf4j.LoggerFactory.getLogger(DbGuardBackgroundPreinitializer.class).debug(
                    "Pre-initialized in {} ms: {} starter classes initialized, {} driver/pool/Flyway classes loaded, {} not"
                            + " on the class path, {} failed; {} checks, {} SQL resources", outcome.nanos() / 1_000_000,
                    outcome.initialized(), outcome.loaded(), outcome.absent(), outcome.failed(), outcome.checks(),
                    outcome.sqlResources());
        } catch (Throwable e) {
            // never fails the start: whatever was not loaded here is loaded by the main thread
        } finally {
            mine.done.countDown();
        }
    }

    /**
     * Loads the listed classes and the check catalogue on the calling thread.
     *
     * @param loader the class loader of the starter (the application's)
     * @return the counts
     */
    static Outcome preinitialize(ClassLoader loader) {
        long t0 = System.nanoTime();
        int initialized = 0;
        int loaded = 0;
        int absent = 0;
        int failed = 0;
        for (String name : listed(loader)) {
            try {
                Class.forName(name, name.startsWith(OWN), loader);
                if (name.startsWith(OWN)) {
                    initialized++;
                } else {
                    loaded++;
                }
            } catch (ClassNotFoundException | NoClassDefFoundError e) {
                absent++; // an integration or a version that is not on this class path
            } catch (Throwable e) {
                failed++;
            }
        }
        int checks = 0;
        int sql = 0;
        try {
            for (DatabaseCheck check : DbGuard.discoverChecks()) {
                checks++;
                try {
                    if (check.getClass().getResource(check.id() + ".sql") != null) {
                        Sql.load(check.getClass(), check.id());
                        sql++;
                    }
                } catch (Throwable e) {
                    failed++;
                }
            }
        } catch (Throwable e) {
            failed++;
        }
        return new Outcome(initialized, loaded, absent, failed, checks, sql, System.nanoTime() - t0);
    }

    private static List<String> listed(ClassLoader loader) {
        List<String> names = new ArrayList<>(1_400);
        try (InputStream in = loader.getResourceAsStream(
                DbGuardBackgroundPreinitializer.class.getPackageName().replace('.', '/') + "/" + CLASSES)) {
            if (in == null) {
                return names;
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                String name = line.strip();
                if (!name.isEmpty() && !name.startsWith("#")) {
                    names.add(name);
                }
            }
        } catch (Throwable e) {
            // an unreadable list: nothing to preload
        }
        return names;
    }

    /** @return the pre-initialization started in this JVM, or null */
    static Run current() {
        return run;
    }

    /** Forgets the run of this JVM so that a test can start another (tests only). */
    static void forget() {
        run = null;
        STARTED.set(false);
    }
}
