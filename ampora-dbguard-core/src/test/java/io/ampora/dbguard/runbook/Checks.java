package io.ampora.dbguard.runbook;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.testing.Await;
import java.time.Clock;
import java.util.List;
import javax.sql.DataSource;

/** Test helpers: run one check through the real runner, find findings, wait for statistics. */
public final class Checks {

    private Checks() {
    }

    /**
     * Runs one check through DbGuard, as a user would.
     *
     * @param dataSource the database
     * @param check      the check
     * @param settings   alternating "key", value pairs (without the check id)
     * @return its result
     */
    public static CheckResult run(DataSource dataSource, DatabaseCheck check, Object... settings) {
        return run(dataSource, check, Clock.systemUTC(), settings);
    }

    /**
     * Runs one check through DbGuard with the clock it reads time from, for checks that judge a period.
     *
     * @param dataSource the database
     * @param check      the check
     * @param clock      the clock
     * @param settings   alternating "key", value pairs (without the check id)
     * @return its result
     */
    public static CheckResult run(DataSource dataSource, DatabaseCheck check, Clock clock, Object... settings) {
        DbGuard.Builder builder = DbGuard.builder().dataSource(dataSource).checks(List.of(check)).clock(clock);
        for (int i = 0; i < settings.length; i += 2) {
            builder.set(check.id() + "." + settings[i], settings[i + 1]);
        }
        return builder.build().report().result(check.id()).orElseThrow();
    }

    /**
     * The findings whose detail has a value.
     *
     * @param result the result
     * @param key    the detail key
     * @param value  the value
     * @return the matching findings
     */
    public static List<Finding> withDetail(CheckResult result, String key, Object value) {
        return result.findings().stream().filter(f -> value.equals(f.details().get(key))).toList();
    }

    /**
     * Waits until a condition holds (statistics reach pg_stat views asynchronously), at most 15 seconds.
     *
     * @param what      what is awaited, for the failure message
     * @param condition the condition
     * @throws Exception when interrupted or the condition throws
     */
    public static void await(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        Await.until(what, java.time.Duration.ofSeconds(15), condition::call);
    }
}
