package io.ampora.dbguard.check;

import io.ampora.dbguard.internal.SettingValues;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A named, typed threshold or option of a check, with its default and the values it accepts.
 *
 * <p>Checks declare their settings in {@link DatabaseCheck#settings()}; users override them by name
 * ({@code DbGuard.builder().set("connection-headroom.warnPercent", "50")}, or the doctor's
 * {@code --set}). Values are parsed and validated when the guard is built, so a typo fails at startup
 * with the setting's name and the allowed values, never in the middle of a report. Time thresholds are
 * named {@code warnAfter} / {@code failAfter} in every check that has them.
 *
 * @param name        the key, camelCase, unique within the check
 * @param type        the kind of value, which decides how text is parsed
 * @param defaultValue the value used when nothing is configured
 * @param description what the setting changes, shown in usage errors and the README
 * @param <T>         the Java type of the value
 */
public record CheckSetting<T>(String name, Type type, T defaultValue, String description) {

    /** The kinds of setting values and the text forms each accepts. */
    public enum Type {
        /** {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT5S}; positive. */
        DURATION("a duration such as 500ms, 5s, 2m, 1h or PT5S", SettingValues::parseDuration,
                v -> SettingValues.displayDuration((Duration) v)),
        /** {@code 512MB}, {@code 10GB}, {@code 1024} (bytes); kB/MB/GB/TB are powers of 1024. */
        SIZE("a size such as 512MB, 10GB or a number of bytes", SettingValues::parseSize,
                v -> SettingValues.displaySize((Long) v)),
        /** A number from 0 to 100. */
        PERCENT("a percentage from 0 to 100", SettingValues::parsePercent,
                v -> SettingValues.displayPercent((Double) v)),
        /** A whole number, zero or more. */
        COUNT("a whole number, 0 or more", SettingValues::parseCount, String::valueOf),
        /** {@code true} or {@code false}. */
        BOOLEAN("true or false", SettingValues::parseBoolean, String::valueOf),
        /** Any text. */
        TEXT("text", s -> s, String::valueOf);

        private final String allowed;
        private final Function<String, Object> parser;
        private final Function<Object, String> displayer;

        Type(String allowed, Function<String, Object> parser, Function<Object, String> displayer) {
            this.allowed = allowed;
            this.parser = parser;
            this.displayer = displayer;
        }

        /** @return a phrase naming the allowed values, for error messages */
        public String allowed() {
            return allowed;
        }

        Object parse(String text) {
            return parser.apply(text);
        }

        /**
         * Writes a value of this type the way a user would type it ({@code 5s}, {@code 512MB}, {@code 80}).
         *
         * @param value a value of this type
         * @return the text
         */
        public String display(Object value) {
            return displayer.apply(value);
        }
    }

    /** Validates the declaration. */
    public CheckSetting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(defaultValue, "defaultValue");
        description = description == null ? "" : description;
    }

    /**
     * Declares a duration setting.
     *
     * @param name        the key
     * @param defaultValue the default
     * @param description what it changes
     * @return the setting
     */
    public static CheckSetting<Duration> duration(String name, Duration defaultValue, String description) {
        return new CheckSetting<>(name, Type.DURATION, defaultValue, description);
    }

    /**
     * Declares a size setting in bytes.
     *
     * @param name        the key
     * @param defaultValue the default in bytes
     * @param description what it changes
     * @return the setting
     */
    public static CheckSetting<Long> size(String name, long defaultValue, String description) {
        return new CheckSetting<>(name, Type.SIZE, defaultValue, description);
    }

    /**
     * Declares a percentage setting (0 to 100).
     *
     * @param name        the key
     * @param defaultValue the default
     * @param description what it changes
     * @return the setting
     */
    public static CheckSetting<Double> percent(String name, double defaultValue, String description) {
        return new CheckSetting<>(name, Type.PERCENT, defaultValue, description);
    }

    /**
     * Declares a count setting (a whole number, zero or more).
     *
     * @param name        the key
     * @param defaultValue the default
     * @param description what it changes
     * @return the setting
     */
    public static CheckSetting<Long> count(String name, long defaultValue, String description) {
        return new CheckSetting<>(name, Type.COUNT, defaultValue, description);
    }

    /**
     * Declares a boolean setting.
     *
     * @param name        the key
     * @param defaultValue the default
     * @param description what it changes
     * @return the setting
     */
    public static CheckSetting<Boolean> flag(String name, boolean defaultValue, String description) {
        return new CheckSetting<>(name, Type.BOOLEAN, defaultValue, description);
    }

    /**
     * Declares a text setting.
     *
     * @param name        the key
     * @param defaultValue the default
     * @param description what it changes
     * @return the setting
     */
    public static CheckSetting<String> text(String name, String defaultValue, String description) {
        return new CheckSetting<>(name, Type.TEXT, defaultValue, description);
    }

    /**
     * Writes a value of this setting the way a user would type it ({@code 5s}, {@code 512MB}, {@code 80}),
     * so that a listing or a message can be pasted back into {@code --set}.
     *
     * @param value a value of this setting
     * @return the text
     */
    public String display(T value) {
        return type.display(value);
    }

    /**
     * Parses a value from text, or converts a Java value of the right type.
     *
     * @param value text in one of the forms {@link Type#allowed()} names, or a value of type {@code T}
     * @return the value
     * @throws IllegalArgumentException naming the setting and the allowed values when it does not fit
     */
    @SuppressWarnings("unchecked")
    public T convert(Object value) {
        if (value != null && !(value instanceof String) && defaultValue.getClass().isInstance(value)) {
            return checked((T) value, null);
        }
        if (value instanceof Integer i && defaultValue instanceof Long) {
            return checked((T) Long.valueOf(i), null);
        }
        if (value instanceof Number n && defaultValue instanceof Double) {
            return checked((T) Double.valueOf(n.doubleValue()), null);
        }
        String text = value == null ? "" : String.valueOf(value).trim();
        try {
            return checked((T) type.parse(text), text);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException("'" + text + "' is not " + type.allowed()
                    + (e.getMessage() == null || e instanceof ClassCastException ? "" : " (" + e.getMessage() + ")"), e);
        }
    }

    private T checked(T value, String text) {
        Predicate<Object> ok = switch (type) {
            case DURATION -> v -> !((Duration) v).isNegative() && !((Duration) v).isZero();
            case SIZE, COUNT -> v -> ((Long) v) >= 0;
            case PERCENT -> v -> ((Double) v) >= 0 && ((Double) v) <= 100;
            default -> v -> true;
        };
        if (!ok.test(value)) {
            throw new IllegalArgumentException("'" + (text == null ? value : text) + "' is not " + type.allowed());
        }
        return value;
    }
}
