package io.ampora.dbguard.runbook.connections;

import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.internal.SettingValues;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Runbook 1, "password authentication failed" when the password is right: the application's role has a
 * password expiry ({@code VALID UNTIL}). Once it passes, every new connection fails with 28P01, the same
 * message as a wrong password, while the pool's open connections keep working until they are recycled
 * (HikariCP's {@code maxLifetime}, 30 minutes by default), so the service dies slowly, instance by instance,
 * with nothing changed in its configuration. WARN from {@code warnBefore} (14 days) ahead, FAIL from
 * {@code failBefore} (1 day) ahead and once passed, with the date and the {@code ALTER ROLE} that moves it.
 * From PostgreSQL 16 the session says how it authenticated ({@code system_user}): expiry binds only the
 * password methods, so a certificate or trust login passes, saying so.
 */
public final class PasswordExpiryCheck implements DatabaseCheck {

    /** How long before the expiry the check warns. */
    public static final CheckSetting<Duration> WARN_BEFORE = CheckSetting.duration("warnBefore", Duration.ofDays(14),
            "how long before the login role's password expires (VALID UNTIL) to warn");
    /** How long before the expiry the check fails. */
    public static final CheckSetting<Duration> FAIL_BEFORE = CheckSetting.duration("failBefore", Duration.ofDays(1),
            "how long before the login role's password expires (VALID UNTIL) to fail");

    /** The {@code system_user} prefixes of the methods that check the password stored with VALID UNTIL. */
    private static final List<String> PASSWORD_METHODS = List.of("scram-sha-256:", "md5:", "password:");

    @Override
    public String id() {
        return "password-expiry";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_CONNECT;
    }

    @Override
    public String description() {
        return "The login role's password expiry (VALID UNTIL): once passed, new connections fail with 28P01"
                + " \"password authentication failed\" although the password is right.";
    }

    @Override
    public List<CheckSetting<?>> settings() {
        return List.of(WARN_BEFORE, FAIL_BEFORE);
    }

    @Override
    public List<SettingOrder<?>> settingOrders() {
        return List.of(SettingOrder.lowerIsWorse(WARN_BEFORE, FAIL_BEFORE));
    }

    /**
     * Not at startup: a password that expires in a week must not stop a deployment; once it has expired, the
     * startup's own connection fails and {@code connectivity} says so.
     *
     * @return {@code false}
     */
    @Override
    public boolean startupCritical() {
        return false;
    }

    /**
     * {@link CheckScope#DATABASE}: the role's expiry is the same for every instance that logs in as it.
     *
     * @return {@link CheckScope#DATABASE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.DATABASE;
    }

    /**
     * {@link CheckCost#CHEAP}: one row of {@code pg_roles}.
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    /**
     * None: a database-wide condition every instance sees at once (see {@link DatabaseCheck#probes()}). The monitor
     * still reports, logs and counts it.
     *
     * @return no probe
     */
    @Override
    public Set<Probe> probes() {
        return Set.of();
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        String auth = null;
        if (context.facts().majorVersion() >= 16) {
            try (Statement st = context.connection().createStatement();
                 ResultSet rs = st.executeQuery(Sql.load(PasswordExpiryCheck.class, id() + "-auth"))) {
                auth = rs.next() ? rs.getString("auth") : null;
            }
        }
        try (Statement st = context.connection().createStatement();
             ResultSet rs = st.executeQuery(Sql.load(PasswordExpiryCheck.class, id()))) {
            if (!rs.next()) {
                return CheckResult.skip(this, "The login role is not in pg_roles.");
            }
            String role = rs.getString("rolname");
            if (rs.getBoolean("never")) {
                return CheckResult.pass(this, "The password of role " + role + " never expires (no VALID UNTIL).");
            }
            String validUntil = rs.getString("valid_until");
            double secondsLeft = rs.getDouble("seconds_left");
            if (context.facts().majorVersion() >= 16 && !byPassword(auth)) {
                return CheckResult.pass(this, "The password of role " + role + " expires at " + validUntil
                        + ", but this session did not log in with a password (" + (auth == null ? "trust" : auth)
                        + "), which VALID UNTIL does not bind.");
            }
            return judge(context, role, rs.getString("role_ident"), validUntil, secondsLeft, auth);
        }
    }

    private static boolean byPassword(String auth) {
        return auth != null && PASSWORD_METHODS.stream().anyMatch(auth::startsWith);
    }

    private CheckResult judge(CheckContext context, String role, String ident, String validUntil, double secondsLeft,
                              String auth) {
        Duration left = Duration.ofSeconds((long) Math.abs(secondsLeft));
        boolean expired = secondsLeft <= 0;
        CheckStatus status = expired || left.compareTo(context.setting(FAIL_BEFORE)) <= 0 ? CheckStatus.FAIL
                : left.compareTo(context.setting(WARN_BEFORE)) <= 0 ? CheckStatus.WARN : CheckStatus.PASS;
        String when = expired ? "expired at " + validUntil + " (" + SettingValues.format(left) + " ago)"
                : "expires at " + validUntil + " (in " + SettingValues.format(left) + ")";
        if (status == CheckStatus.PASS) {
            return CheckResult.pass(this, "The password of role " + role + " " + when + ".");
        }
        String consequence = expired
                ? "every new connection as " + role + " fails with \"password authentication failed\" (28P01) although the"
                + " password is right; connections opened before keep working until the pool recycles them"
                + " (HikariCP's maxLifetime), so instances lose their connections one by one."
                : "from then on every new connection as " + role + " fails with \"password authentication failed\" (28P01)"
                + " although the password is right, and the pools lose their connections as they recycle them.";
        Finding.Builder finding = Finding.builder("The password of role " + role + " " + when + ": " + consequence)
                .detail("role", role)
                .detail("validUntil", validUntil)
                .detail("expired", expired)
                .detail(expired ? "expiredFor" : "timeLeft", SettingValues.format(left));
        if (auth != null) {
            finding.detail("authentication", auth);
        }
        return CheckResult.builder(this).status(status)
                .summary("The password of role " + role + " " + when + ".")
                .finding(finding.build())
                .remediation("Move or remove the expiry, as a superuser or a role with CREATEROLE (a role cannot change"
                        + " its own): ALTER ROLE " + ident + " VALID UNTIL 'infinity'; or rotate the password with a new"
                        + " date (ALTER ROLE " + ident + " PASSWORD '...' VALID UNTIL '...';) and update the"
                        + " application's secret in the same change.")
                .build();
    }
}
