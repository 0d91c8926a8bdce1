package io.ampora.dbguard.runbook.locks;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.GuardOptions;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Runbook 7: "a long-running transaction can lock a row that the live application needs". Finds the
 * sessions waiting on a lock and their root blockers (sessions that block others and wait for nothing),
 * with the blocker's pid, user, application, client address, state, transaction age, query, the lock it
 * holds and how many sessions wait behind it, directly or transitively.
 *
 * <p>It uses {@code pg_blocking_pids()}, which sees every lock type (row locks, advisory locks, queue
 * order behind another waiter), not the runbook's {@code pg_locks} self-join. The fix depends on who
 * holds the lock: a session that is not the application's (a psql left open) is terminated, an
 * application session is captured and reported, an autovacuum worker is not terminated (a routine one gives way by
 * itself; one that freezes the table to prevent wraparound does not and comes back: let it finish or freeze the table
 * by hand, see {@link Autovacuum}). WARN when a session has waited longer than
 * {@code warnAfter} (5s), FAIL past {@code failAfter} (30s). Without {@code pg_read_all_stats} the
 * waits are still seen (pg_locks is readable by every role) but a blocker's query and age are hidden:
 * the finding says so and names the grant.
 */
public final class BlockingLocksCheck implements DatabaseCheck {

    /** A wait longer than this warns. */
    public static final CheckSetting<Duration> WARN_AFTER = CheckSetting.duration("warnAfter", Duration.ofSeconds(5),
            "how long a session may wait on a lock before the check warns");
    /** A wait longer than this fails. */
    public static final CheckSetting<Duration> FAIL_AFTER = CheckSetting.duration("failAfter", Duration.ofSeconds(30),
            "how long a session may wait on a lock before the check fails");

    /** Lock modes from weakest to strongest, to name the one a blocker holds. */
    private static final List<String> MODES = List.of("AccessShareLock", "RowShareLock", "RowExclusiveLock",
            "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock");

    /** Lock modes that conflict with ordinary writes (ROW EXCLUSIVE): a session waiting for one stops the queue. */
    private static final Set<String> QUEUE_STOPPING_MODES = Set.of("ShareLock", "ShareRowExclusiveLock", "ExclusiveLock",
            "AccessExclusiveLock");

    @Override
    public String id() {
        return "blocking-locks";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.LOCKED_WEDGED;
    }

    @Override
    public String description() {
        return "Sessions waiting on locks and their root blockers, with the blocker's query, age and how many wait;"
                + " terminate external sessions, report application ones.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_AFTER, FAIL_AFTER);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.higherIsWorse(WARN_AFTER, FAIL_AFTER));
    }

    /**
     * {@link CheckScope#DATABASE}: every instance would see the same answer.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#CHEAP}: a few rows from statistics views.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    /**
     * {@link Probe#STARTUP} only: a FAIL keeps a starting instance from reporting started, as {@code verifyOrFail()}
     * does, but leaves readiness alone: a database-wide condition every instance sees at once (see
     * {@link DatabaseCheck#probes()}). The monitor still reports, logs and counts it.
     *
     * @return {@link Probe#STARTUP}
     */
    @Override
    public Set<Probe> probes() {
        return EnumSet.of(Probe.STARTUP);
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Map<Integer, Session> sessions = read(context);
        if (sessions.isEmpty()) {
            return CheckResult.pass(this, "No session waits on a lock.");
        }
        Duration warnAfter = context.setting(WARN_AFTER);
        Duration failAfter = context.setting(FAIL_AFTER);
        List<PreparedTransactions.Prepared> prepared = sessions.containsKey(0) || sessions.values().stream()
                .anyMatch(s -> s.blockedBy().contains(0)) ? PreparedTransactions.read(context) : List.of();
        Map<Integer, Set<Integer>> waitersOf = waitersOf(sessions);
        List<Blocker> blockers = rootBlockers(sessions, waitersOf, prepared);
        blockers.sort(Comparator.comparingDouble(Blocker::longestWaitOrZero).reversed());
        List<QueueHead> queueHeads = queueHeads(sessions, waitersOf);

        long waiting = sessions.values().stream().filter(Session::isWaiting).count();
        CheckResult.Builder result = CheckResult.builder(this);
        List<String> actions = new ArrayList<>();
        List<String> queued = new ArrayList<>();
        for (QueueHead head : queueHeads) {
            CheckStatus status = head.status(warnAfter, failAfter);
            if (status == CheckStatus.PASS) {
                continue;
            }
            // first: cancelling the waiting statement lets the queue through at once, whoever holds the lock
            result.atLeast(status).finding(head.finding());
            actions.add(head.action());
            queued.add(head.summary());
        }
        for (Blocker blocker : blockers) {
            CheckStatus status = blocker.status(warnAfter, failAfter);
            if (status == CheckStatus.PASS) {
                continue;
            }
            result.atLeast(status).finding(blocker.finding(context.options()));
            actions.add(blocker.action(context.options()));
        }
        double longest = blockers.stream().mapToDouble(Blocker::longestWaitOrZero).max().orElse(0);
        String counts = waiting + (waiting == 1 ? " session waits" : " sessions wait") + " on a lock behind "
                + blockers.size() + (blockers.size() == 1 ? " root blocker" : " root blockers");
        if (result.status() == CheckStatus.PASS) {
            return result.summary(counts + ", none longer than " + Sessions.age(warnAfter.toMillis() / 1000.0)
                    + " (warnAfter).").build();
        }
        if (result.status() == CheckStatus.UNKNOWN) {
            return result.summary(counts + "; how long they have waited is hidden from this role (PostgreSQL 13 has no"
                    + " pg_locks.waitstart).").remediation(String.join("\n", actions)).build();
        }
        return result.summary(counts + "; the longest has waited " + Sessions.age(longest)
                        + (queued.isEmpty() ? "" : "; " + String.join("; ", queued)) + ".")
                .remediation(String.join("\n", actions)
                        + "\nTo keep forgotten sessions from holding locks, set idle_in_transaction_session_timeout"
                        + " (see the idle-in-transaction check).")
                .build();
    }

    private Map<Integer, Session> read(CheckContext context) throws SQLException {
        Map<Integer, Session> sessions = new TreeMap<>();
        try (PreparedStatement st = context.connection().prepareStatement(Sql.load(BlockingLocksCheck.class, id()))) {
            st.setString(1, GuardOptions.GUARD_APPLICATION_NAME);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    Session s = new Session(
                            rs.getInt("pid"),
                            rs.getBoolean("in_activity"),
                            rs.getBoolean("hidden"),
                            rs.getString("user_name"),
                            rs.getString("application_name"),
                            rs.getString("client_addr"),
                            rs.getString("state"),
                            rs.getString("query"),
                            nullableDouble(rs, "xact_seconds"),
                            ints(rs.getArray("blocked_by")),
                            rs.getString("awaited_mode"),
                            rs.getString("awaited_object"),
                            nullableDouble(rs, "wait_seconds"),
                            strongest(rs.getArray("held_modes")),
                            rs.getString("held_objects"),
                            rs.getString("role_ident"),
                            Autovacuum.of(rs.getString("backend_type"), rs.getString("query"), rs.getString("vacuumed"),
                                    rs.getString("vacuum_phase"), nullableLong(rs, "vacuum_blocks"),
                                    nullableLong(rs, "vacuum_scanned")));
                    sessions.put(s.pid(), s);
                }
            }
        }
        return sessions;
    }

    /** Who waits directly for whom: blocker pid to waiter pids. */
    private static Map<Integer, Set<Integer>> waitersOf(Map<Integer, Session> sessions) {
        Map<Integer, Set<Integer>> waitersOf = new TreeMap<>();
        for (Session s : sessions.values()) {
            for (int blocker : s.blockedBy()) {
                waitersOf.computeIfAbsent(blocker, k -> new LinkedHashSet<>()).add(s.pid());
            }
        }
        return waitersOf;
    }

    /** Every session waiting behind {@code pid}, directly or transitively, each once. */
    private static List<Session> behind(int pid, Map<Integer, Session> sessions, Map<Integer, Set<Integer>> waitersOf) {
        List<Session> behind = new ArrayList<>();
        Set<Integer> seen = new LinkedHashSet<>(List.of(pid));
        Deque<Integer> queue = new ArrayDeque<>(waitersOf.getOrDefault(pid, Set.of()));
        while (!queue.isEmpty()) {
            int next = queue.poll();
            if (seen.add(next)) {
                behind.add(sessions.get(next));
                queue.addAll(waitersOf.getOrDefault(next, Set.of()));
            }
        }
        return behind;
    }

    /**
     * Sessions that wait for a lock strong enough to stop ordinary reads or writes (a schema change, a table lock, a
     * plain CREATE INDEX) and have sessions queued behind them: PostgreSQL grants a relation's locks in the order they
     * were asked for, so every later request that conflicts with the waiting one waits too, even when the lock actually
     * held would let it through. A harmless reader then stops the application through a migration.
     */
    private static List<QueueHead> queueHeads(Map<Integer, Session> sessions, Map<Integer, Set<Integer>> waitersOf) {
        List<QueueHead> heads = new ArrayList<>();
        for (Session s : sessions.values()) {
            if (s.isWaiting() && waitersOf.containsKey(s.pid()) && s.awaitedMode() != null
                    && QUEUE_STOPPING_MODES.contains(s.awaitedMode())) {
                heads.add(new QueueHead(s, behind(s.pid(), sessions, waitersOf)));
            }
        }
        heads.sort(Comparator.comparingDouble(QueueHead::longestWaitOrZero).reversed());
        return heads;
    }

    /** Root blockers: sessions that block others and wait for nothing; all blockers if they only block each other. */
    private static List<Blocker> rootBlockers(Map<Integer, Session> sessions, Map<Integer, Set<Integer>> waitersOf,
                                              List<PreparedTransactions.Prepared> prepared) {
        List<Integer> roots = waitersOf.keySet().stream()
                .filter(pid -> sessions.get(pid) == null || !sessions.get(pid).isWaiting())
                .collect(Collectors.toCollection(ArrayList::new));
        if (roots.isEmpty()) {
            roots.addAll(waitersOf.keySet());
        }
        List<Blocker> blockers = new ArrayList<>();
        for (int root : roots) {
            List<Session> behind = behind(root, sessions, waitersOf);
            Session self = sessions.getOrDefault(root, Session.unseen(root));
            List<Session> direct = waitersOf.get(root).stream().map(sessions::get).toList();
            blockers.add(new Blocker(self, direct, behind, root == 0 ? preparedBlocking(prepared, direct) : List.of()));
        }
        return blockers;
    }

    /** The prepared transactions the waiters of pid 0 wait on: those whose locks they wait for, else all. */
    private static List<PreparedTransactions.Prepared> preparedBlocking(List<PreparedTransactions.Prepared> prepared,
                                                                        List<Session> direct) {
        Set<Integer> waiters = direct.stream().map(Session::pid).collect(Collectors.toSet());
        List<PreparedTransactions.Prepared> matched = prepared.stream()
                .filter(p -> p.waitingPids().stream().anyMatch(waiters::contains)).toList();
        return matched.isEmpty() ? prepared : matched;
    }

    private static Double nullableDouble(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static List<Integer> ints(Array array) throws SQLException {
        if (array == null) {
            return List.of();
        }
        List<Integer> out = new ArrayList<>();
        for (Object o : (Object[]) array.getArray()) {
            out.add(((Number) o).intValue());
        }
        return out;
    }

    private static String strongest(Array modes) throws SQLException {
        if (modes == null) {
            return null;
        }
        String best = null;
        for (Object o : (Object[]) modes.getArray()) {
            String mode = String.valueOf(o);
            if (best == null || MODES.indexOf(mode) > MODES.indexOf(best)) {
                best = mode;
            }
        }
        return best;
    }

    /** One session involved in a wait, as blocker or waiter. */
    private record Session(int pid, boolean inActivity, boolean hidden, String user, String applicationName,
                           String clientAddress, String state, String query, Double transactionSeconds,
                           List<Integer> blockedBy, String awaitedMode, String awaitedObject, Double waitSeconds,
                           String heldMode, String heldObjects, String roleIdent, Optional<Autovacuum> autovacuum) {

        static Session unseen(int pid) {
            return new Session(pid, false, false, "", "", null, null, null, null, List.of(), null, null, null,
                    null, null, null, Optional.empty());
        }

        /** "pid 4711 (psql, user alice)", or "pid 4711 (autovacuum worker)". */
        String describe() {
            return autovacuum.isPresent() ? "pid " + pid + " (autovacuum worker)" : Sessions.describe(pid, applicationName, user);
        }

        /** A session no role can be seen owning while its row is hidden: a background process. */
        boolean hiddenBackground() {
            return hidden && user.isEmpty();
        }

        /** For a hidden background process whose lock says "most likely autovacuum": what to say instead of "terminate". */
        Optional<String> backgroundHint() {
            return hiddenBackground() ? Autovacuum.hiddenBackgroundHint(heldMode) : Optional.empty();
        }

        boolean isWaiting() {
            return !blockedBy.isEmpty();
        }
    }

    /**
     * A session that waits for a strong lock and holds up the sessions queued behind it: cancelling its statement lets
     * them through at once, whoever holds the lock it waits for.
     */
    private record QueueHead(Session self, List<Session> behind) {

        double longestWaitOrZero() {
            return behind.stream().map(Session::waitSeconds).filter(w -> w != null).max(Double::compare).orElse(0.0);
        }

        CheckStatus status(Duration warnAfter, Duration failAfter) {
            double longest = longestWaitOrZero();
            return longest * 1000 > failAfter.toMillis() ? CheckStatus.FAIL
                    : longest * 1000 > warnAfter.toMillis() ? CheckStatus.WARN : CheckStatus.PASS;
        }

        private String lock() {
            String mode = Sessions.lockMode(self.awaitedMode());
            return (mode.startsWith("A") || mode.startsWith("E") ? "an " : "a ") + mode + " lock on " + self.awaitedObject();
        }

        String summary() {
            return "pid " + self.pid() + " waits for " + lock() + " and " + behind.size()
                    + (behind.size() == 1 ? " session queues" : " sessions queue") + " behind it";
        }

        String cancel() {
            return "SELECT pg_cancel_backend(" + self.pid() + ")";
        }

        String action() {
            return Sessions.describe(self.pid(), self.applicationName(), self.user()) + ", waiting for " + lock()
                    + ": cancel it to let the " + behind.size() + " queued " + (behind.size() == 1 ? "session" : "sessions")
                    + " through now: " + cancel() + "; then run it again with SET lock_timeout = '3s' (and retries), so"
                    + " that it gives up instead of stopping the application while it waits.";
        }

        Finding finding() {
            String query = self.hidden() ? "<insufficient privilege>" : self.query();
            return Finding.builder(Sessions.describe(self.pid(), self.applicationName(), self.user()) + " waits for "
                            + lock() + (self.waitSeconds() == null ? "" : " since " + Sessions.age(self.waitSeconds()))
                            + (query == null ? "" : " (" + query + ")") + ", held up by pid"
                            + (self.blockedBy().size() == 1 ? " " : "s ") + self.blockedBy().stream().map(String::valueOf)
                            .collect(Collectors.joining(", ")) + ", and " + behind.size()
                            + (behind.size() == 1 ? " session queues" : " sessions queue") + " behind it, the longest for "
                            + Sessions.age(longestWaitOrZero()) + ". PostgreSQL grants a table's locks in the order"
                            + " they were asked for, so while this statement waits, every query that conflicts with it"
                            + " waits too, even one the lock actually held would let through: a schema change waiting"
                            + " behind a long reader stops the application. Cancel it: " + cancel() + ", and run schema"
                            + " changes with a lock_timeout.")
                    .detail("pid", self.pid())
                    .detail("user", self.user())
                    .detail("applicationName", self.applicationName())
                    .detail("awaitedLockMode", Sessions.lockMode(self.awaitedMode()))
                    .detail("lockedObject", self.awaitedObject())
                    .detail("query", query)
                    .detail("heldUpBy", self.blockedBy().stream().map(String::valueOf).collect(Collectors.joining(", ")))
                    .detail("queuedBehind", behind.size())
                    .detail("queuedPids", behind.stream().map(b -> String.valueOf(b.pid())).collect(Collectors.joining(", ")))
                    .detail("longestWait", Sessions.age(longestWaitOrZero()))
                    .detail("cancel", cancel())
                    .build();
        }
    }

    /** A root blocker and the sessions behind it. */
    private record Blocker(Session self, List<Session> direct, List<Session> behind,
                           List<PreparedTransactions.Prepared> prepared) {

        Double longestWait() {
            return behind.stream().map(Session::waitSeconds).filter(w -> w != null).max(Double::compare).orElse(null);
        }

        double longestWaitOrZero() {
            Double w = longestWait();
            return w == null ? 0 : w;
        }

        boolean someWaitUnknown() {
            return behind.stream().anyMatch(s -> s.waitSeconds() == null);
        }

        CheckStatus status(Duration warnAfter, Duration failAfter) {
            double longest = longestWaitOrZero();
            if (longest * 1000 > failAfter.toMillis()) {
                return CheckStatus.FAIL;
            }
            if (longest * 1000 > warnAfter.toMillis()) {
                return CheckStatus.WARN;
            }
            return someWaitUnknown() ? CheckStatus.UNKNOWN : CheckStatus.PASS;
        }

        Session longestWaiter() {
            return behind.stream().max(Comparator.comparingDouble(s -> s.waitSeconds() == null ? 0 : s.waitSeconds()))
                    .orElseThrow();
        }

        String action(GuardOptions options) {
            if (self.pid() == 0) {
                if (prepared.isEmpty()) {
                    return "A prepared transaction blocks: find it in pg_catalog.pg_prepared_xacts and COMMIT PREPARED or"
                            + " ROLLBACK PREPARED it in its database.";
                }
                return prepared.stream().map(p -> p.describe() + ": " + p.action()).collect(Collectors.joining("\n"));
            }
            return self.describe() + ": " + advice(options);
        }

        /** What to do with the blocking session: by who it is (autovacuum) or whose it is (the runbook's rule). */
        private String advice(GuardOptions options) {
            if (self.autovacuum().isPresent()) {
                return self.autovacuum().get().action(self.pid());
            }
            Optional<String> background = self.backgroundHint();
            if (background.isPresent()) {
                return background.get() + " " + Sessions.grant(self.roleIdent() == null ? "<role>" : self.roleIdent())
                        + " to see it.";
            }
            return Sessions.action(self.pid(), self.applicationName(), options);
        }

        /** Whether the advice is the runbook's "terminate it": not for autovacuum, nor a hidden background process. */
        private boolean terminable(GuardOptions options) {
            return !Sessions.isApplication(self.applicationName(), options) && self.autovacuum().isEmpty()
                    && self.backgroundHint().isEmpty();
        }

        Finding finding(GuardOptions options) {
            Session waiter = longestWaiter();
            String waiters = behind.size() + (behind.size() == 1 ? " session waits" : " sessions wait");
            Double longest = longestWait();
            String waited = longest == null ? "" : ", the longest for " + Sessions.age(longest);
            StringBuilder message = new StringBuilder();
            if (self.pid() == 0 && prepared.isEmpty()) {
                message.append("A prepared transaction ").append(holds()).append("; ").append(waiters).append(waited)
                        .append(". Find it in pg_catalog.pg_prepared_xacts and COMMIT PREPARED or ROLLBACK PREPARED it"
                                + " in its database.");
            } else if (self.pid() == 0) {
                PreparedTransactions.Prepared p = prepared.get(0);
                message.append("The ").append(p.describe()).append(" holds ").append(holds());
                if (p.lockedObjects() != null && !holds().contains(p.lockedObjects())) {
                    message.append(" and locks on ").append(p.lockedObjects());
                }
                message.append("; ").append(waiters).append(waited).append('.');
                if (prepared.size() > 1) {
                    message.append(" ").append(prepared.size() - 1).append(" other prepared transactions may be involved: ")
                            .append(prepared.stream().skip(1).map(PreparedTransactions.Prepared::gidLiteral)
                                    .collect(Collectors.joining(", "))).append('.');
                }
                message.append(' ').append(p.action());
            } else {
                message.append(self.describe());
                if (self.transactionSeconds() != null) {
                    message.append(" has held ").append(holds()).append(" for up to ")
                            .append(Sessions.age(self.transactionSeconds())).append(" (its transaction's age");
                    if (self.state() != null && !self.state().equals("active")) {
                        message.append(", now ").append(self.state());
                    }
                    message.append(')');
                } else {
                    message.append(" holds ").append(holds());
                }
                message.append("; ").append(waiters).append(waited).append('.');
                if (self.hidden() && !self.hiddenBackground()) {
                    message.append(" Its query, state and age are hidden from this role: ")
                            .append(Sessions.grant(self.roleIdent() == null ? "<role>" : self.roleIdent()))
                            .append(" to see them.");
                } else if (self.hidden() && self.backgroundHint().isEmpty()) {
                    message.append(" Its query, state and age are hidden from this role, and no role owns it (a"
                            + " background process): ").append(Sessions.grant(self.roleIdent() == null ? "<role>"
                            : self.roleIdent())).append(" to see it.");
                }
                message.append(' ').append(advice(options));
            }
            Finding.Builder f = Finding.builder(message.toString())
                    .detail("pid", self.pid())
                    .detail("user", self.user())
                    .detail("applicationName", self.applicationName())
                    .detail("clientAddress", self.clientAddress())
                    .detail("state", self.hidden() ? "hidden" : self.state())
                    .detail("transactionAge", self.transactionSeconds() == null ? null : Sessions.age(self.transactionSeconds()))
                    .detail("lockMode", self.heldMode() == null ? null : Sessions.lockMode(self.heldMode()))
                    .detail("lockedObject", self.heldObjects() != null ? self.heldObjects() : direct.get(0).awaitedObject())
                    .detail("query", self.hidden() ? "<insufficient privilege>" : self.query())
                    .detail("waiters", behind.size())
                    .detail("directWaiters", direct.size())
                    .detail("waitingPids", behind.stream().map(s -> String.valueOf(s.pid())).collect(Collectors.joining(", ")))
                    .detail("longestWait", longest == null ? "unknown" : Sessions.age(longest))
                    .detail("waiterQuery", waiter.hidden() ? "<insufficient privilege>" : waiter.query())
                    .detail("applicationSession", self.pid() != 0 && Sessions.isApplication(self.applicationName(), options));
            if (self.pid() == 0 && !prepared.isEmpty()) {
                PreparedTransactions.Prepared p = prepared.get(0);
                f.detail("gid", p.gid())
                        .detail("owner", p.owner())
                        .detail("database", p.database())
                        .detail("preparedAge", Sessions.age(p.preparedSeconds()))
                        .detail("rollback", p.rollback())
                        .detail("commit", p.commit());
            }
            if (self.pid() != 0 && terminable(options)) {
                f.detail("terminate", Sessions.terminate(self.pid()));
            }
            self.autovacuum().ifPresent(av -> f.detail("backendType", "autovacuum worker")
                    .detail("autovacuum", av.kind())
                    .detail("vacuumProgress", av.progress())
                    .detail("vacuumFreeze", av.wraparound() ? av.vacuumFreeze() : null));
            if (self.hidden() || waiter.hidden()) {
                f.detail("grant", Sessions.grant(self.roleIdent() != null ? self.roleIdent() : waiter.roleIdent()));
            }
            return f.build();
        }

        /** "an ACCESS EXCLUSIVE lock on public.orders", or what the waiters wait for when the held lock is unknown. */
        private String holds() {
            String object = self.heldObjects() != null ? self.heldObjects() : direct.get(0).awaitedObject();
            if (object != null && object.startsWith("transaction ")) {
                return "row locks (" + object + ")";
            }
            if (self.heldMode() == null) {
                return "a lock on " + object + " that " + (direct.size() == 1 ? "a session needs" : "sessions need")
                        + " (" + Sessions.lockMode(direct.get(0).awaitedMode()) + ")";
            }
            String mode = Sessions.lockMode(self.heldMode());
            return (mode.startsWith("A") || mode.startsWith("E") ? "an " : "a ") + mode + " lock on " + object;
        }
    }
}
