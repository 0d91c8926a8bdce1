package io.ampora.dbguard.spring.boot.autoconfigure;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/**
 * Tells which tenant a request acts for; the application provides it as a bean when
 * {@code ampora.dbguard.tenant.enabled=true}. Take the tenant from something verified (the authenticated
 * principal, a validated token's claim), never from a raw header a client can set.
 *
 * <pre>{@code
 * @Bean
 * TenantResolver tenantResolver() {
 *     return request -> Optional.ofNullable(request.getUserPrincipal()).map(p -> tenantOf(p.getName()));
 * }
 * }</pre>
 *
 * <p>A request without a tenant runs unbound: its first statement through the DataSource throws
 * {@code MissingTenantException} (an error answer), never an empty result.
 */
@FunctionalInterface
public interface TenantResolver {

    /**
     * @param request the current request
     * @return the tenant id, or empty when the request has none
     */
    Optional<String> resolve(HttpServletRequest request);
}
