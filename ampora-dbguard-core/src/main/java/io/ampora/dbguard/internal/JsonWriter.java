package io.ampora.dbguard.internal;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON from maps, lists, strings, numbers, booleans and null.
 *
 * <p>Core must stay light at runtime (pgjdbc and slf4j-api only), and it only ever writes JSON, never
 * parses it; this is the whole of what that takes. Tests parse the output with Jackson.
 */
public final class JsonWriter {

    private JsonWriter() {
    }

    /**
     * Writes a value as pretty-printed JSON.
     *
     * @param value a Map with String keys, a List, a String, Number, Boolean or null
     * @return the JSON text
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    /**
     * Writes a value as JSON on one line, without indentation: for answers read by machines on every
     * request, such as health probes.
     *
     * @param value a Map with String keys, a List, a String, Number, Boolean or null
     * @return the JSON text, ending with a newline
     */
    public static String writeCompact(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, COMPACT);
        return out.append('\n').toString();
    }

    /** The depth that marks compact output: no newlines, no indentation, no space after a colon. */
    private static final int COMPACT = Integer.MIN_VALUE;

    private static void write(StringBuilder out, Object value, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            string(out, s);
        } else if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
            out.append("null");
        } else if (value instanceof Float f && (f.isNaN() || f.isInfinite())) {
            out.append("null");
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Map<?, ?> map) {
            object(out, map, depth);
        } else if (value instanceof List<?> list) {
            array(out, list, depth);
        } else {
            string(out, String.valueOf(value));
        }
    }

    private static void object(StringBuilder out, Map<?, ?> map, int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<?, ?> e = it.next();
            newline(out, deeper(depth));
            string(out, String.valueOf(e.getKey()));
            out.append(depth == COMPACT ? ":" : ": ");
            write(out, e.getValue(), deeper(depth));
            if (it.hasNext()) {
                out.append(',');
            }
        }
        newline(out, depth);
        out.append('}');
    }

    private static void array(StringBuilder out, List<?> list, int depth) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            newline(out, deeper(depth));
            write(out, list.get(i), deeper(depth));
            if (i < list.size() - 1) {
                out.append(',');
            }
        }
        newline(out, depth);
        out.append(']');
    }

    private static int deeper(int depth) {
        return depth == COMPACT ? COMPACT : depth + 1;
    }

    private static void newline(StringBuilder out, int depth) {
        if (depth == COMPACT) {
            return;
        }
        out.append('\n');
        out.append("  ".repeat(depth));
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
