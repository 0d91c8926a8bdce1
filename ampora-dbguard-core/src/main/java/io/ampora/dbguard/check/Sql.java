package io.ampora.dbguard.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads a check's SQL from a resource beside its class, named after the check's id.
 *
 * <p>Keeping SQL in {@code .sql} files keeps it readable, reviewable and runnable in psql as is. A
 * check {@code io.ampora.dbguard.runbook.locks.BlockingLocksCheck} with id {@code blocking-locks} keeps
 * its query in {@code io/ampora/dbguard/runbook/locks/blocking-locks.sql}.
 */
public final class Sql {

    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();

    private Sql() {
    }

    /**
     * Returns the text of {@code <name>.sql} in the package of {@code anchor}.
     *
     * @param anchor a class in the same package as the resource
     * @param name   the resource name without {@code .sql}, usually the check's id
     * @return the SQL text
     * @throws IllegalStateException when the resource is missing (a packaging bug)
     */
    public static String load(Class<?> anchor, String name) {
        String key = anchor.getPackageName() + '/' + name;
        return CACHE.computeIfAbsent(key, k -> read(anchor, name));
    }

    private static String read(Class<?> anchor, String name) {
        try (InputStream in = anchor.getResourceAsStream(name + ".sql")) {
            if (in == null) {
                throw new IllegalStateException("SQL resource " + name + ".sql is missing beside "
                        + anchor.getName() + ": the jar is incomplete, rebuild it");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read SQL resource " + name + ".sql", e);
        }
    }
}
