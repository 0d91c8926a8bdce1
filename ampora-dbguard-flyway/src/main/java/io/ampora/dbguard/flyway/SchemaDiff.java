package io.ampora.dbguard.flyway;

import io.ampora.dbguard.flyway.SchemaSnapshot.SchemaObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What differs between an expected and an actual {@link SchemaSnapshot}: objects added, removed or
 * changed, each with the attributes before and after.
 *
 * @param changes the differences, sorted by object type and name
 */
public record SchemaDiff(List<Change> changes) {

    /** Freezes the list. */
    public SchemaDiff {
        changes = List.copyOf(changes);
    }

    /** How an object differs. */
    public enum Kind {
        /** In the actual schema only. */
        ADDED,
        /** In the expected schema only. */
        REMOVED,
        /** In both, with different attributes. */
        CHANGED
    }

    /**
     * One object that differs.
     *
     * @param kind   added, removed or changed
     * @param type   the object type, e.g. {@code column}
     * @param name   its qualified, quoted name
     * @param before the expected attributes (empty when added)
     * @param after  the actual attributes (empty when removed)
     */
    public record Change(Kind kind, String type, String name, SortedMap<String, String> before,
                         SortedMap<String, String> after) {

        /** Validates the change. */
        public Change {
            Objects.requireNonNull(kind, "kind");
            before = new TreeMap<>(before);
            after = new TreeMap<>(after);
        }

        /**
         * A sentence for a report: {@code "added table public.audit_hack"},
         * {@code "changed column public.orders.total: type numeric(12,2) -> text"}.
         *
         * @return the description
         */
        public String describe() {
            return switch (kind) {
                case ADDED -> "added " + type + " " + name;
                case REMOVED -> "removed " + type + " " + name;
                case CHANGED -> "changed " + type + " " + name + ": " + changedAttributes();
            };
        }

        private String changedAttributes() {
            TreeSet<String> keys = new TreeSet<>(before.keySet());
            keys.addAll(after.keySet());
            return keys.stream()
                    .filter(k -> !Objects.equals(before.get(k), after.get(k)))
                    .map(k -> k + " " + show(before.get(k)) + " -> " + show(after.get(k)))
                    .collect(Collectors.joining("; "));
        }

        private static String show(String v) {
            return v == null ? "(none)" : v;
        }
    }

    /**
     * Compares two snapshots.
     *
     * @param expected the committed or previous schema
     * @param actual   the schema found
     * @return the differences
     */
    public static SchemaDiff between(SchemaSnapshot expected, SchemaSnapshot actual) {
        Map<String, SchemaObject> before = index(expected);
        Map<String, SchemaObject> after = index(actual);
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        List<Change> changes = new ArrayList<>();
        for (String key : keys) {
            SchemaObject b = before.get(key);
            SchemaObject a = after.get(key);
            if (b == null) {
                changes.add(new Change(Kind.ADDED, a.type(), a.name(), new TreeMap<>(), a.attributes()));
            } else if (a == null) {
                changes.add(new Change(Kind.REMOVED, b.type(), b.name(), b.attributes(), new TreeMap<>()));
            } else if (!a.attributes().equals(b.attributes())) {
                changes.add(new Change(Kind.CHANGED, a.type(), a.name(), b.attributes(), a.attributes()));
            }
        }
        return new SchemaDiff(changes);
    }

    private static Map<String, SchemaObject> index(SchemaSnapshot s) {
        Map<String, SchemaObject> m = new TreeMap<>();
        s.objects().forEach(o -> m.put(o.type() + "\u0000" + o.name(), o));
        return m;
    }

    /** @return whether the snapshots are equal */
    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /**
     * The changes of one kind.
     *
     * @param kind the kind
     * @return those changes
     */
    public List<Change> changes(Kind kind) {
        return changes.stream().filter(c -> c.kind() == kind).toList();
    }

    /** @return one line per change, as {@link Change#describe()} writes it */
    @Override
    public String toString() {
        return changes.stream().map(Change::describe).collect(Collectors.joining("\n"));
    }
}
