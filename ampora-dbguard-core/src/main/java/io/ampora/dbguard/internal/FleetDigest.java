package io.ampora.dbguard.internal;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.RunbookSection;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The message a fleet's runner sends with {@code NOTIFY} after running a database-wide check: a compact,
 * form-encoded digest of the result that fits PostgreSQL's payload limit (8000 bytes).
 *
 * <p>Format (version 1): {@code v=1&k=r&c=<check id>&i=<instance>&t=<ran at, epoch ms>&n=<interval ms>
 * &s=<status>&d=<duration ns>&m=<summary>&x=<remediation>&F=<finding count>&f0=<message>&f0.<key>=<type>:<value>...}
 * where every name and value is URL-encoded and a detail's type is {@code s} string, {@code i} int,
 * {@code l} long, {@code d} double, {@code D} BigDecimal, {@code I} BigInteger, {@code b} boolean or
 * {@code z} null. A request for the current results ({@code k=q}) is sent by an instance that joins.
 *
 * <p>What may be lost, and only when the whole result would not fit in {@link #MAX_BYTES}: the summary
 * beyond 1,000 characters and the remediation beyond 2,000 (each also cut to 2,000 encoded bytes, which
 * is fewer characters for non-ASCII text), a finding's message beyond 500 and a string
 * detail beyond 300 (each cut ends with "…"), and the findings that no longer fit (their number is kept:
 * {@link Message#findingsOmitted()}). The check's runbook section is not sent: receivers run the same
 * checks and take it from theirs.
 */
public final class FleetDigest {

    /** The largest payload sent, in bytes; PostgreSQL refuses 8000 and more. */
    public static final int MAX_BYTES = 7_900;
    private static final int SUMMARY_CHARS = 1_000;
    private static final int REMEDIATION_CHARS = 2_000;
    private static final int MESSAGE_CHARS = 500;
    private static final int DETAIL_CHARS = 300;
    /** Encoded bytes of a trimmed summary or remediation: a non-ASCII character takes up to 12. */
    private static final int ENCODED_TEXT_BYTES = 2_000;

    /**
     * A decoded message.
     *
     * @param request         {@code true} for a joining instance's request for the current results
     * @param checkId         the check (empty for a request)
     * @param ranBy           the instance that ran it
     * @param ranAt           when its run ended
     * @param interval        the runner's interval for the check, back-off included
     * @param result          the result as far as it fits (empty for a request)
     * @param findingsOmitted findings the runner had that did not fit into the payload
     */
    public record Message(boolean request, String checkId, String ranBy, Instant ranAt, Duration interval,
                          Optional<CheckResult> result, int findingsOmitted) {
    }

    private FleetDigest() {
    }

    /**
     * Encodes a request for the current results.
     *
     * @param instance the requesting instance
     * @return the payload
     */
    public static String request(String instance) {
        return "v=1&k=q&i=" + enc(instance);
    }

    /**
     * Encodes a result into at most {@link #MAX_BYTES}.
     *
     * @param result   the result
     * @param ranBy    the instance that ran it
     * @param ranAt    when the run ended
     * @param interval the runner's interval for the check
     * @return the payload
     */
    public static String encode(CheckResult result, String ranBy, Instant ranAt, Duration interval) {
        StringBuilder out = new StringBuilder(512);
        out.append("v=1&k=r&c=").append(enc(result.checkId()))
                .append("&i=").append(enc(ranBy))
                .append("&t=").append(ranAt.toEpochMilli())
                .append("&n=").append(interval.toMillis())
                .append("&s=").append(result.status().name())
                .append("&d=").append(result.duration().toNanos())
                .append("&F=").append(result.findings().size());
        String summary = enc(result.summary());
        String remediation = enc(result.remediation());
        if (out.length() + summary.length() + remediation.length() + 8 > MAX_BYTES) {
            summary = encCut(result.summary(), SUMMARY_CHARS, ENCODED_TEXT_BYTES);
            remediation = encCut(result.remediation(), REMEDIATION_CHARS, ENCODED_TEXT_BYTES);
        }
        out.append("&m=").append(summary).append("&x=").append(remediation);
        for (int i = 0; i < result.findings().size(); i++) {
            String finding = finding(i, result.findings().get(i), false);
            if (out.length() + finding.length() > MAX_BYTES) {
                finding = finding(i, result.findings().get(i), true);
            }
            if (out.length() + finding.length() > MAX_BYTES) {
                break;
            }
            out.append(finding);
        }
        return out.toString();
    }

    private static String finding(int index, Finding finding, boolean trimmed) {
        StringBuilder out = new StringBuilder();
        String prefix = "f" + index;
        out.append('&').append(prefix).append('=')
                .append(enc(trimmed ? cut(finding.message(), MESSAGE_CHARS) : finding.message()));
        finding.details().forEach((key, value) -> out.append('&').append(prefix).append('.').append(enc(key))
                .append('=').append(enc(typed(value, trimmed))));
        return out.toString();
    }

    private static String typed(Object value, boolean trimmed) {
        if (value == null) {
            return "z:";
        }
        if (value instanceof String s) {
            return "s:" + (trimmed ? cut(s, DETAIL_CHARS) : s);
        }
        String type = value instanceof Integer ? "i" : value instanceof Long ? "l" : value instanceof Double ? "d"
                : value instanceof BigDecimal ? "D" : value instanceof BigInteger ? "I" : value instanceof Boolean ? "b"
                : "s";
        return type + ":" + value;
    }

    /**
     * Decodes a payload.
     *
     * @param payload   the NOTIFY payload
     * @param runbookOf the runbook section of a check id, from the receiver's own checks; empty for a
     *                  check the receiver does not run (the message is then ignored)
     * @return the message, empty when it is not a version-1 message or names an unknown check
     */
    public static Optional<Message> decode(String payload, Function<String, Optional<RunbookSection>> runbookOf) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : payload.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                fields.put(pair.substring(0, eq), dec(pair.substring(eq + 1)));
            }
        }
        try {
            if (!"1".equals(fields.get("v"))) {
                return Optional.empty();
            }
            String ranBy = fields.getOrDefault("i", "");
            if ("q".equals(fields.get("k"))) {
                return Optional.of(new Message(true, "", ranBy, Instant.EPOCH, Duration.ZERO, Optional.empty(), 0));
            }
            String checkId = fields.get("c");
            Optional<RunbookSection> runbook = checkId == null ? Optional.empty() : runbookOf.apply(checkId);
            if (runbook.isEmpty()) {
                return Optional.empty();
            }
            int total = Integer.parseInt(fields.get("F"));
            List<Finding> findings = new ArrayList<>();
            for (int i = 0; fields.containsKey("f" + i); i++) {
                String prefix = "f" + i + ".";
                Finding.Builder f = Finding.builder(fields.get("f" + i));
                for (Map.Entry<String, String> e : fields.entrySet()) {
                    if (e.getKey().startsWith(prefix)) {
                        f.detail(dec(e.getKey().substring(prefix.length())), untyped(e.getValue()));
                    }
                }
                findings.add(f.build());
            }
            CheckResult result = new CheckResult(checkId, CheckStatus.valueOf(fields.get("s")), fields.get("m"), findings,
                    runbook.get(), fields.get("x"), Duration.ofNanos(Long.parseLong(fields.get("d"))));
            return Optional.of(new Message(false, checkId, ranBy, Instant.ofEpochMilli(Long.parseLong(fields.get("t"))),
                    Duration.ofMillis(Long.parseLong(fields.get("n"))), Optional.of(result), total - findings.size()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Object untyped(String typed) {
        String value = typed.substring(2);
        return switch (typed.charAt(0)) {
            case 'z' -> null;
            case 'i' -> Integer.valueOf(value);
            case 'l' -> Long.valueOf(value);
            case 'd' -> Double.valueOf(value);
            case 'D' -> new BigDecimal(value);
            case 'I' -> new BigInteger(value);
            case 'b' -> Boolean.valueOf(value);
            default -> value;
        };
    }

    private static String cut(String text, int chars) {
        return text.length() <= chars ? text : text.substring(0, chars - 1) + "…";
    }

    private static String encCut(String text, int chars, int bytes) {
        String cut = cut(text, chars);
        String encoded = enc(cut);
        while (encoded.length() > bytes) {
            int keep = Math.max(1, (int) ((long) cut.length() * bytes / encoded.length()) - 1);
            cut = cut(cut, keep);
            encoded = enc(cut);
        }
        return encoded;
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static String dec(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
