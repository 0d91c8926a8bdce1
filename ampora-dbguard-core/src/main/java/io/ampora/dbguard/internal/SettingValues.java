package io.ampora.dbguard.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the text forms of setting values: durations, sizes, percentages, counts and booleans. */
public final class SettingValues {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(b|kb|mb|gb|tb)?");

    private SettingValues() {
    }

    /**
     * Parses {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT5S}.
     *
     * @param text the text
     * @return the duration
     */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("pt") || t.startsWith("p")) {
            try {
                return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not an ISO-8601 duration");
            }
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("use a number with a unit: ms, s, m, h or d");
        }
        double amount = Double.parseDouble(m.group(1));
        if (amount > 1e12) {
            throw new IllegalArgumentException("too large");
        }
        long millis = switch (m.group(2)) {
            case "ms" -> Math.round(amount);
            case "s" -> Math.round(amount * 1_000);
            case "m" -> Math.round(amount * 60_000);
            case "h" -> Math.round(amount * 3_600_000);
            default -> Math.round(amount * 86_400_000);
        };
        return Duration.ofMillis(millis);
    }

    /**
     * Parses {@code 512MB}, {@code 10GB}, {@code 2kB} or a plain number of bytes; units are powers of 1024.
     *
     * @param text the text
     * @return the size in bytes
     */
    public static Long parseSize(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("use a number with an optional unit: B, kB, MB, GB or TB");
        }
        double amount = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        int shift = switch (unit) {
            case "kb" -> 10;
            case "mb" -> 20;
            case "gb" -> 30;
            case "tb" -> 40;
            default -> 0;
        };
        double bytes = amount * (1L << shift);
        if (bytes >= Long.MAX_VALUE) {
            throw new IllegalArgumentException("too large: at most 8 EB");
        }
        return Math.round(bytes);
    }

    /**
     * Parses a percentage, with or without a trailing {@code %}.
     *
     * @param text the text
     * @return the number
     */
    public static Double parsePercent(String text) {
        String t = text.trim();
        if (t.endsWith("%")) {
            t = t.substring(0, t.length() - 1).trim();
        }
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number");
        }
    }

    /**
     * Parses a whole number.
     *
     * @param text the text
     * @return the number
     */
    public static Long parseCount(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a whole number");
        }
    }

    /**
     * Parses {@code true} or {@code false}, ignoring case.
     *
     * @param text the text
     * @return the value
     */
    public static Boolean parseBoolean(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
            return Boolean.valueOf(t);
        }
        throw new IllegalArgumentException("not true or false");
    }

    /**
     * Formats a duration the way every message shows it: {@code 0.42ms}, {@code 2.5ms}, {@code 850ms},
     * {@code 9.5s}, {@code 12s}, {@code 3m12s}, {@code 2h05m}, {@code 3d04h}. This is the one duration formatter
     * of the project's messages (issue 13); {@link #formatBytes(long)} is the one for sizes.
     *
     * @param d the duration
     * @return the text
     */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 10 && d.toNanos() % 1_000_000 != 0) {
            // statement latencies: keep the sub-millisecond precision that tells 0.05ms from 0.9ms
            return String.format(Locale.ROOT, ms < 1 ? "%.2fms" : "%.1fms", d.toNanos() / 1_000_000.0);
        }
        if (ms < 1_000) {
            return ms + "ms";
        }
        long s = ms / 1_000;
        if (s < 60) {
            return ms < 10_000 ? String.format(Locale.ROOT, "%.1fs", ms / 1000.0) : s + "s";
        }
        if (s < 3_600) {
            return (s / 60) + "m" + String.format(Locale.ROOT, "%02ds", s % 60);
        }
        if (s < 86_400) {
            return (s / 3_600) + "h" + String.format(Locale.ROOT, "%02dm", (s % 3_600) / 60);
        }
        return (s / 86_400) + "d" + String.format(Locale.ROOT, "%02dh", (s % 86_400) / 3_600);
    }

    /**
     * Formats a byte count with a binary unit: {@code 512 B}, {@code 1.5 MB}, {@code 12 GB}.
     *
     * @param bytes the size
     * @return the text
     */
    public static String formatBytes(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = bytes;
        int u = 0;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /**
     * Writes a duration the way a user would type it, so that it can be pasted back into {@code --set}:
     * {@code 5s}, {@code 1500ms}, {@code 2h}.
     *
     * @param d the duration
     * @return the text
     */
    public static String displayDuration(Duration d) {
        return duration(d);
    }

    /**
     * Writes a size the way a user would type it: {@code 512MB}, {@code 1kB}, or a plain number of bytes.
     *
     * @param bytes the size
     * @return the text
     */
    public static String displaySize(long bytes) {
        return size(bytes);
    }

    /**
     * Writes a percentage the way a user would type it: {@code 80}, {@code 82.5}.
     *
     * @param percent the number
     * @return the text
     */
    public static String displayPercent(double percent) {
        return percent == Math.rint(percent) ? String.valueOf((long) percent) : String.valueOf(percent);
    }

    private static String duration(Duration d) {
        long ms = d.toMillis();
        long[] factors = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] units = {"d", "h", "m", "s"};
        for (int i = 0; i < factors.length; i++) {
            if (ms >= factors[i] && ms % factors[i] == 0) {
                return ms / factors[i] + units[i];
            }
        }
        return ms > 0 || d.isZero() ? ms + "ms" : d.toString();
    }

    private static String size(long bytes) {
        String[] units = {"TB", "GB", "MB", "kB"};
        for (int i = 0; i < units.length; i++) {
            long f = 1L << (10 * (4 - i));
            if (bytes >= f && bytes % f == 0) {
                return (bytes / f) + units[i];
            }
        }
        return String.valueOf(bytes);
    }
}
