package io.ampora.dbguard.check;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One thing a check found: a sentence a person reads and the evidence behind it as flat details.
 *
 * <p>Details keep their insertion order and hold only strings, numbers and booleans, so every report
 * format can render them without knowing the check. Example: message "pid 4711 (psql, user alice) has
 * held an ACCESS EXCLUSIVE lock on public.orders for 3m12s", details {@code pid=4711, user=alice}.
 *
 * @param message what is wrong, in one sentence with the evidence a person needs
 * @param details the evidence as key/value pairs: strings, numbers or booleans
 */
public record Finding(String message, Map<String, Object> details) {

    /** Validates and freezes the details. */
    public Finding {
        Objects.requireNonNull(message, "message");
        Map<String, Object> copy = new LinkedHashMap<>();
        if (details != null) {
            details.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "detail key"), flat(value)));
        }
        details = Collections.unmodifiableMap(copy);
    }

    /**
     * A finding without details.
     *
     * @param message what is wrong
     * @return the finding
     */
    public static Finding of(String message) {
        return new Finding(message, Map.of());
    }

    /**
     * Starts a finding with details.
     *
     * @param message what is wrong
     * @return a builder to add details to
     */
    public static Builder builder(String message) {
        return new Builder(message);
    }

    private static Object flat(Object value) {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value;
        }
        return String.valueOf(value);
    }

    /** Collects the details of a finding in order. */
    public static final class Builder {
        private final String message;
        private final Map<String, Object> details = new LinkedHashMap<>();

        private Builder(String message) {
            this.message = Objects.requireNonNull(message, "message");
        }

        /**
         * Adds one piece of evidence; values that are not strings, numbers or booleans are stored as text.
         *
         * @param key   a short camelCase key, stable across releases (tools read it)
         * @param value the value; {@code null} is kept as JSON null
         * @return this builder
         */
        public Builder detail(String key, Object value) {
            details.put(Objects.requireNonNull(key, "key"), value);
            return this;
        }

        /** @return the finding */
        public Finding build() {
            return new Finding(message, details);
        }
    }
}
