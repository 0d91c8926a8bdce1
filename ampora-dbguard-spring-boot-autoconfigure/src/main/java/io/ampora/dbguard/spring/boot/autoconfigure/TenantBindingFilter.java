package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.rls.Tenant;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * Binds the tenant the application's {@link TenantResolver} returns for the request around the rest of the
 * filter chain, so that every transaction the request runs through the tenant-bound DataSource sets it.
 * A request without a tenant goes on unbound and fails at its first statement with
 * {@code MissingTenantException}.
 */
public final class TenantBindingFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    private final transient TenantResolver resolver;

    /** @param resolver the application's resolver */
    public TenantBindingFilter(TenantResolver resolver) {
        this.resolver = resolver;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Optional<String> tenant = resolver.resolve(request);
        if (tenant.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        try {
            Tenant.call(tenant.get(), () -> {
                chain.doFilter(request, response);
                return null;
            });
        } catch (IOException | ServletException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new ServletException(e);
        }
    }
}
