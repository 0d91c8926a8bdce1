package io.ampora.dbguard.runbook.connections;

import io.ampora.dbguard.check.CheckCost;
import io.ampora.dbguard.check.CheckScope;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.ConnectionInfo;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.check.ServerFacts;
import io.ampora.dbguard.check.SessionTls;
import io.ampora.dbguard.internal.SessionTlsQuery;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Runbook 1: "Trust Server Certificate=true left over from development defeats validation". In pgjdbc the
 * same mistake is {@code sslmode} {@code disable}/{@code allow}/{@code prefer}/{@code require}, or a
 * non-validating {@code sslfactory}: traffic may be encrypted, but anyone in the middle can present a
 * certificate. WARN, and FAIL when the guard runs for production. Also reports whether this session
 * really uses TLS ({@code pg_stat_ssl}). A loopback connection with the default settings passes: there
 * is no network to protect. The session's TLS state is the one the runner read with the server facts
 * (once, and again after a restart or a configuration reload: a certificate change needs one of them), so a
 * monitor re-running this check every interval costs the database nothing.
 */
public final class TlsCheck implements DatabaseCheck {

    private static final Set<String> VALIDATING = Set.of("verify-ca", "verify-full");

    @Override
    public String id() {
        return "tls";
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.CANNOT_CONNECT;
    }

    @Override
    public String description() {
        return "Flags TLS certificate validation that is off (sslmode below verify-ca, non-validating sslfactory)"
                + " and reports whether the session uses TLS.";
    }

    /**
     * {@link CheckScope#INSTANCE}: it judges this instance's client TLS settings.
     *
     * @return {@link CheckScope#INSTANCE}
     */
    @Override
    public CheckScope scope() {
        return CheckScope.INSTANCE;
    }

    /**
     * {@link CheckCost#CHEAP}: no statement of its own (the session's TLS state comes with the server facts).
     *
     * @return {@link CheckCost#CHEAP}
     */
    @Override
    public CheckCost cost() {
        return CheckCost.CHEAP;
    }

    @Override
    public CheckResult run(CheckContext context) throws Exception {
        Session session = session(context);
        ConnectionInfo info = context.options().connection();
        boolean production = context.options().production();
        CheckStatus insecure = production ? CheckStatus.FAIL : CheckStatus.WARN;
        Optional<String> explicitMode = info.property("sslmode").map(s -> s.toLowerCase(Locale.ROOT));
        Optional<String> factory = info.property("sslfactory");
        boolean nonValidatingFactory = factory.map(f -> f.contains("NonValidatingFactory")).orElse(false);
        boolean legacySsl = info.property("ssl").map("true"::equalsIgnoreCase).orElse(false);
        String mode = explicitMode.orElse(legacySsl ? "verify-full" : "prefer");

        Finding.Builder evidence = Finding.builder(session.describe())
                .detail("sessionUsesTls", session.ssl)
                .detail("tlsVersion", session.version)
                .detail("cipher", session.cipher)
                .detail("sslmode", mode + (explicitMode.isPresent() || legacySsl ? "" : " (pgjdbc default)"))
                .detail("sslfactory", factory.orElse(""))
                .detail("loopback", session.loopback);
        CheckResult.Builder result = CheckResult.builder(this).finding(evidence.build());

        if (nonValidatingFactory || (explicitMode.isPresent() && !VALIDATING.contains(mode))) {
            String what = nonValidatingFactory
                    ? "sslfactory=" + factory.get() + " accepts any server certificate"
                    : mode.equals("disable") ? "sslmode=disable turns TLS off"
                    : "sslmode=" + mode + " does not validate the server certificate";
            return result.status(insecure)
                    .summary(what + ": the Java twin of 'Trust Server Certificate=true'"
                            + (production ? " in production." : "."))
                    .remediation("Use sslmode=verify-full with the server's CA in sslrootcert (and drop any"
                            + " NonValidatingFactory), so the client refuses a server it cannot verify.")
                    .build();
        }
        if (!info.isKnown()) {
            if (session.loopback && !session.ssl) {
                return result.summary("Loopback connection without TLS: nothing crosses a network.").build();
            }
            if (session.ssl) {
                return result.status(CheckStatus.UNKNOWN)
                        .summary("The session uses TLS, but the guard cannot see the client's sslmode to tell whether"
                                + " it validates the certificate.")
                        .remediation("Give the guard the JDBC URL (DbGuard.builder().jdbcUrl(...)) or a pgjdbc DataSource.")
                        .build();
            }
            return result.status(insecure)
                    .summary("The session does not use TLS over a network connection.")
                    .remediation("Connect with sslmode=verify-full and the server's CA in sslrootcert.")
                    .build();
        }
        if (VALIDATING.contains(mode) && session.ssl) {
            return result.summary("TLS " + session.version + " with " + mode + ": the server certificate is validated"
                    + (mode.equals("verify-ca") ? " (but not its host name; verify-full checks both)." : ".")).build();
        }
        if (session.loopback && !session.ssl) {
            return result.summary("Loopback connection without TLS (sslmode " + mode + "): nothing crosses a network;"
                    + " use sslmode=verify-full for a remote database.").build();
        }
        return result.status(insecure)
                .summary("sslmode " + mode + " (the pgjdbc default) does not validate the server certificate"
                        + (session.ssl ? "" : ", and this session is not encrypted") + ".")
                .remediation("Set sslmode=verify-full with the server's CA in sslrootcert.")
                .build();
    }

    /**
     * The TLS state the runner read with the server facts (at the first report, after a restart or a
     * configuration reload): every session of the guard comes from the same DataSource, so this check needs
     * no session of its own. Without it (facts made elsewhere), this check's own session is asked.
     */
    private Session session(CheckContext context) throws Exception {
        Optional<SessionTls> read = context.connectionAttempt(target()).facts().flatMap(ServerFacts::sessionTls);
        if (read.isPresent()) {
            SessionTls tls = read.get();
            return new Session(tls.ssl(), tls.version(), tls.cipher(), tls.loopback());
        }
        try (Statement st = context.connection().createStatement()) {
            return SessionTlsQuery.read(st)
                    .map(tls -> new Session(tls.ssl(), tls.version(), tls.cipher(), tls.loopback()))
                    .orElse(new Session(false, null, null, true));
        }
    }

    private record Session(boolean ssl, String version, String cipher, boolean loopback) {
        String describe() {
            return ssl ? "This session uses " + version + " (" + cipher + ")."
                    : "This session is not encrypted" + (loopback ? " (loopback connection)." : ".");
        }
    }
}
