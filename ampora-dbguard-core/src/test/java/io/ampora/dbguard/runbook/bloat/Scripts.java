package io.ampora.dbguard.runbook.bloat;

import io.ampora.dbguard.runbook.Checks;
import io.ampora.dbguard.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a script statement by statement (VACUUM cannot run inside the driver's multi-statement pipeline), then
 * waits until the cumulative statistics show the script's last ANALYZEs.
 * <p>Why the wait: the checks judge a relation's statistics stale from {@code n_mod_since_analyze}. Before
 * PostgreSQL 15 those counters live in the statistics collector, which receives the backends' messages
 * asynchronously: right after {@code DELETE ...; VACUUM ANALYZE t} a new session may still read the
 * counts from before the ANALYZE (measured on 13: 14 times in 15, 125,000 rows "changed since the last
 * analyze" right after the script, 0 1.5 s later), and the check then rightly names the relation stale
 * instead of estimating it. A script whose ANALYZE is followed by more writes (a stale-statistics scenario)
 * (of that relation) is not waited for.
 */
final class Scripts {

    private static final Pattern ANALYZE = Pattern.compile("(?is)\\s*(?:VACUUM\\s+(?:\\([^)]*\\)\\s*)?)?ANALYZE\\s+(.+?)\\s*;?\\s*");
    private static final Pattern WRITE = Pattern.compile(
            "(?is)\\s*(?:INSERT\\s+INTO|UPDATE|DELETE\\s+FROM|MERGE\\s+INTO|COPY)\\s+(\"(?:[^\"]|\"\")*\"(?:\\.\"(?:[^\"]|\"\")*\")?|[\\w.]+).*");

    private Scripts() {
    }

    static void run(TestDatabase db, String script) throws Exception {
        List<String> analyzedSinceLastWrite = new ArrayList<>();
        for (String statement : script.split(";\\s*\\n")) {
            if (statement.isBlank()) {
                continue;
            }
            db.execute(statement);
            Matcher analyze = ANALYZE.matcher(statement);
            Matcher write = WRITE.matcher(statement);
            if (write.matches()) {
                analyzedSinceLastWrite.remove(write.group(1));
            } else if (analyze.matches()) {
                for (String relation : analyze.group(1).split("\\s*,\\s*")) {
                    analyzedSinceLastWrite.remove(relation);
                    analyzedSinceLastWrite.add(relation);
                }
            }
        }
        for (String relation : analyzedSinceLastWrite) {
            String literal = "'" + relation.replace("'", "''") + "'";
            Checks.await(String.format(Locale.ROOT, "the statistics of %s show its ANALYZE", relation), () -> "t".equals(
                    db.queryString("SELECT coalesce(pg_stat_get_last_analyze_time(" + literal + "::regclass),"
                            + " pg_stat_get_last_autoanalyze_time(" + literal + "::regclass)) IS NOT NULL"
                            + " AND pg_stat_get_mod_since_analyze(" + literal + "::regclass) = 0")));
        }
    }
}
