package io.ampora.dbguard.examples.app;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import io.ampora.dbguard.rls.InvalidTenantIdException;
import io.ampora.dbguard.rls.Tenant;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The per-request tenant interceptor: takes the tenant of the authenticated request (here the
 * {@value #HEADER} header; a real service reads it from the verified token or session) and runs the
 * rest of the chain inside {@link Tenant#run(String, Runnable)}, so every transaction the handler opens
 * through the {@code TenantDataSource} is bound to it. No tenant: 401 before any handler runs; a malformed
 * one: 400, without echoing it.
 */
public final class TenantFilter extends Filter {

    /** The request header carrying the tenant id. */
    public static final String HEADER = "X-Tenant-Id";

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        String tenant = exchange.getRequestHeaders().getFirst(HEADER);
        if (tenant == null || tenant.isBlank()) {
            DemoApplication.respond(exchange, 401, "application/json",
                    "{\"error\":\"no tenant: send the " + HEADER + " header of the authenticated tenant\"}");
            return;
        }
        try {
            Tenant.run(tenant.strip(), () -> {
                try {
                    chain.doFilter(exchange);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (InvalidTenantIdException e) {
            DemoApplication.respond(exchange, 400, "application/json", "{\"error\":\"malformed tenant id\"}");
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public String description() {
        return "binds the request's tenant (" + HEADER + ") with Tenant.run for the handler";
    }
}
