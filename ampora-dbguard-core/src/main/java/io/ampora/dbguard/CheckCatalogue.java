package io.ampora.dbguard;

import io.ampora.dbguard.check.DatabaseCheck;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The checks a guard can run and the ones it does run: discovery through {@link ServiceLoader}, the
 * builder's explicit and added checks, id validation, and the {@code only}/{@code exclude} filter.
 */
final class CheckCatalogue {

    private CheckCatalogue() {
    }

    /** Every check on the classpath, ordered by runbook section, then by the order the service files list them. */
    static List<DatabaseCheck> discover() {
        List<DatabaseCheck> found = new ArrayList<>();
        ServiceLoader.load(DatabaseCheck.class, DbGuard.class.getClassLoader()).forEach(found::add);
        found.sort((a, b) -> a.runbook().compareTo(b.runbook()));
        return found;
    }

    /**
     * The checks available to a guard: the given ones (or every discovered one), with the added ones
     * replacing a check of the same id or appended.
     *
     * @throws DbGuardConfigurationException for an id that is not kebab-case or is used twice
     */
    static List<DatabaseCheck> available(List<DatabaseCheck> given, List<DatabaseCheck> added) {
        List<DatabaseCheck> base = new ArrayList<>(given != null ? given : discover());
        Set<String> addedIds = added.stream().map(DatabaseCheck::id).collect(Collectors.toSet());
        base.removeIf(c -> addedIds.contains(c.id()));
        base.addAll(added);
        Map<String, DatabaseCheck> byId = new LinkedHashMap<>();
        for (DatabaseCheck c : base) {
            if (c.id() == null || !c.id().matches("[a-z0-9]+(-[a-z0-9]+)*")) {
                throw new DbGuardConfigurationException("Check " + c.getClass().getName() + " has id '" + c.id()
                        + "'; ids are kebab-case: lower-case letters and digits joined by dashes");
            }
            if (byId.put(c.id(), c) != null) {
                throw new DbGuardConfigurationException("Two checks share the id '" + c.id() + "'");
            }
        }
        return base;
    }

    /**
     * The available checks the guard runs.
     *
     * @throws DbGuardConfigurationException naming an id in {@code only} or {@code exclude} that is not available
     */
    static List<DatabaseCheck> select(List<DatabaseCheck> available, Set<String> only, Set<String> excluded) {
        Set<String> known = available.stream().map(DatabaseCheck::id)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        requireKnown("only", only, known);
        requireKnown("exclude", excluded, known);
        return available.stream()
                .filter(c -> only.isEmpty() || only.contains(c.id()))
                .filter(c -> !excluded.contains(c.id()))
                .toList();
    }

    private static void requireKnown(String what, Collection<String> ids, Set<String> known) {
        for (String id : ids) {
            if (!known.contains(id)) {
                throw new DbGuardConfigurationException("Unknown check id '" + id + "' in " + what
                        + "; valid ids: " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }
}
