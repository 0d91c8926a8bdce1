package io.ampora.dbguard.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.check.Probe;
import io.ampora.dbguard.internal.JsonWriter;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.ProbeResult;
import io.ampora.dbguard.report.JsonReportRenderer;
import io.ampora.dbguard.report.Report;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Serves a {@link DbGuardMonitor}'s probes over the JDK's HTTP server, in MicroProfile Health's JSON
 * shape, so no servlet container or framework is needed:
 *
 * <pre>
 * GET .../live     200 {"status":"UP","checks":[]}                   liveness: never DOWN for the database
 * GET .../ready    200 or 503 {"status":"DOWN","checks":[{"name":"connectivity","status":"DOWN","data":{...}},
 *                                                       {"name":"tls","status":"UP","data":{"checkStatus":"PASS"}}]}
 * GET .../started  200 or 503                                        startup
 * GET .../report   200 the full report JSON (JsonReportRenderer's format) with "ready" and "live" added,
 *                  and per check where its result comes from: "source" (THIS_INSTANCE, ELECTED, FLEET,
 *                  FALLBACK), "ranBy", "ranAt", "ageMs", "intervalMs" and "note" (why, when there is a reason)
 * </pre>
 *
 * <p>Probes are answered compactly, on one line: every check keeps its {@code name}, {@code status} and
 * {@code data.checkStatus}, and only a check that makes the probe DOWN carries its full {@code data}
 * (summary, remediation, first finding): what a probe's log needs, a few hundred bytes instead of the whole
 * report on every request. {@code ?full=true} on a probe path answers every check in full
 * ({@link #toHealthJson(ProbeResult)}); {@code .../report} is the full report.
 *
 * <p>Every answer comes from the monitor's last results; no request touches the database, and the body
 * is rendered once per monitor run, then reused. Mount it in an existing server with
 * {@code httpServer.createContext("/health", new HealthHandler(monitor))}, or let {@link HealthServer}
 * start one. The last path segment decides the probe, so any context path works.
 */
public final class HealthHandler implements HttpHandler {

    private static final Set<String> RESERVED = Set.of("checkStatus", "summary", "runbook", "remediation", "durationMs",
            "checkedAt", "finding", "findings");

    private final DbGuardMonitor monitor;
    private final Map<Probe, Rendered> probeCache = new EnumMap<>(Probe.class);
    private final Map<Probe, Rendered> fullProbeCache = new EnumMap<>(Probe.class);
    private volatile Rendered reportCache;

    /** A body rendered for one monitor snapshot, reused until the snapshot changes. */
    private record Rendered(Object source, int status, byte[] body, long renderedAt) {
        Rendered(Object source, int status, byte[] body) {
            this(source, status, body, System.nanoTime());
        }
    }

    /**
     * @param monitor the monitor whose last results to serve
     */
    public HealthHandler(DbGuardMonitor monitor) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, new Rendered(null, 405, json(Map.of("error", "Only GET and HEAD are allowed"))));
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String last = path.substring(path.lastIndexOf('/') + 1);
            boolean full = wantsFull(exchange.getRequestURI().getRawQuery());
            Rendered answer = switch (last) {
                case "live" -> probe(Probe.LIVENESS, full);
                case "ready" -> probe(Probe.READINESS, full);
                case "started" -> probe(Probe.STARTUP, full);
                case "report" -> report();
                default -> new Rendered(null, 404, json(Map.of("error", "Unknown health path " + path
                        + "; use live, ready, started or report")));
            };
            send(exchange, answer);
        }
    }

    /**
     * A probe's answer as MicroProfile Health JSON, without HTTP; for frameworks that serve it themselves.
     *
     * @param result the probe's answer
     * @return the JSON tree: {@code status} UP or DOWN and one entry per check with {@code name},
     *         {@code status} and flat {@code data}
     */
    public static Map<String, Object> toHealthJson(ProbeResult result) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("status", result.up() ? "UP" : "DOWN");
        List<Object> checks = new ArrayList<>();
        for (CheckResult r : result.results()) {
            checks.add(check(r, result));
        }
        if (!result.up() && result.results().isEmpty()) {
            Map<String, Object> pending = new LinkedHashMap<>();
            pending.put("name", "dbguard-monitor");
            pending.put("status", "DOWN");
            pending.put("data", Map.of("reason", result.reason()));
            checks.add(pending);
        }
        root.put("checks", checks);
        return root;
    }

    /**
     * A probe's compact answer, as the probe paths serve it: every check by {@code name}, {@code status}
     * and {@code data.checkStatus}; the checks that make the probe DOWN with their full {@code data}.
     *
     * @param result the probe's answer
     * @return the JSON tree, in {@link #toHealthJson(ProbeResult)}'s shape
     */
    public static Map<String, Object> toCompactHealthJson(ProbeResult result) {
        Map<String, Object> root = toHealthJson(result);
        List<Object> checks = new ArrayList<>();
        for (Object entry : (List<?>) root.get("checks")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> check = (Map<String, Object>) entry;
            if ("UP".equals(check.get("status")) && check.get("data") instanceof Map<?, ?> data) {
                Map<String, Object> compact = new LinkedHashMap<>(check);
                compact.put("data", Map.of("checkStatus", data.get("checkStatus")));
                checks.add(compact);
            } else {
                checks.add(check);
            }
        }
        root.put("checks", checks);
        return root;
    }

    private static boolean wantsFull(String query) {
        if (query == null) {
            return false;
        }
        for (String pair : query.split("&")) {
            if (pair.equals("full") || pair.equals("full=true")) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, Object> check(CheckResult r, ProbeResult result) {
        boolean down = result.down().contains(r.checkId());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("checkStatus", r.status().name());
        data.put("summary", r.summary());
        data.put("runbook", r.runbook().label());
        if (!r.remediation().isEmpty()) {
            data.put("remediation", r.remediation());
        }
        data.put("durationMs", r.duration().toMillis());
        data.put("findings", r.findings().size());
        if (!r.findings().isEmpty()) {
            Finding first = r.findings().get(0);
            data.put("finding", first.message());
            first.details().forEach((key, value) -> data.put(RESERVED.contains(key) ? "finding." + key : key,
                    value == null ? "" : value));
        }
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("name", r.checkId());
        check.put("status", down ? "DOWN" : "UP");
        check.put("data", data);
        return check;
    }

    private Rendered probe(Probe probe, boolean full) {
        ProbeResult result = monitor.probe(probe);
        Map<Probe, Rendered> cache = full ? fullProbeCache : probeCache;
        Rendered cached;
        synchronized (cache) {
            cached = cache.get(probe);
        }
        if (cached != null && cached.source() == result) {
            return cached;
        }
        Rendered fresh = new Rendered(result, result.up() ? 200 : 503,
                full ? json(toHealthJson(result)) : compactJson(toCompactHealthJson(result)));
        synchronized (cache) {
            cache.put(probe, fresh);
        }
        return fresh;
    }

    private Rendered report() {
        Report report = monitor.lastReport().orElse(null);
        Rendered cached = reportCache;
        // the ages in the body stay right to the second
        if (cached != null && cached.source() == report && report != null
                && System.nanoTime() - cached.renderedAt() < 1_000_000_000L) {
            return cached;
        }
        if (report == null) {
            return new Rendered(null, 503, json(toHealthJson(monitor.probe(Probe.READINESS))));
        }
        Map<String, Object> tree = new LinkedHashMap<>(JsonReportRenderer.toMap(report));
        addOrigins(tree);
        tree.put("ready", monitor.probe(Probe.READINESS).up());
        tree.put("live", monitor.probe(Probe.LIVENESS).up());
        Rendered fresh = new Rendered(report, 200, json(tree));
        reportCache = fresh;
        return fresh;
    }

    @SuppressWarnings("unchecked")
    private void addOrigins(Map<String, Object> tree) {
        Instant now = Instant.now();
        for (Object check : (List<Object>) tree.get("checks")) {
            Map<String, Object> map = (Map<String, Object>) check;
            monitor.origin(String.valueOf(map.get("id"))).ifPresent(origin -> {
                map.put("source", origin.source().name());
                map.put("ranBy", origin.ranBy());
                map.put("ranAt", origin.ranAt().toString());
                map.put("ageMs", origin.age(now).toMillis());
                map.put("intervalMs", origin.interval().toMillis());
                if (!origin.note().isEmpty()) {
                    map.put("note", origin.note());
                }
            });
        }
    }

    private static byte[] json(Object tree) {
        return JsonWriter.write(tree).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] compactJson(Object tree) {
        return JsonWriter.writeCompact(tree).getBytes(StandardCharsets.UTF_8);
    }

    private static void send(HttpExchange exchange, Rendered answer) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(answer.status(), head ? -1 : answer.body().length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer.body());
            }
        }
    }
}
