package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Tenant binding for servlet applications ({@code ampora.dbguard.tenant.enabled=true}): the filter that
 * binds the tenant of the application's {@link TenantResolver}. The DataSource is wrapped by
 * {@link DbGuardDataSources}.
 */
@AutoConfiguration(after = DbGuardAutoConfiguration.class)
@ConditionalOnClass(name = {"jakarta.servlet.Filter", "io.ampora.dbguard.rls.Tenant"})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = DbGuardProperties.PREFIX, name = "tenant.enabled", havingValue = "true")
@ConditionalOnBean(DbGuard.class)
public class DbGuardTenantAutoConfiguration {

    /** Creates the auto-configuration; Spring calls it. */
    public DbGuardTenantAutoConfiguration() {
    }

    /**
     * @param resolver the application's resolver; required
     * @return the filter, early in the chain so that everything after it sees the tenant
     */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 100)
    TenantBindingFilter dbGuardTenantBindingFilter(ObjectProvider<TenantResolver> resolver) {
        TenantResolver r = resolver.getIfUnique();
        if (r == null) {
            throw new DbGuardConfigurationException("ampora.dbguard.tenant.enabled=true needs one TenantResolver bean"
                    + " that tells each request's tenant from something verified (its principal, a validated token);"
                    + " the starter has no header-based default on purpose");
        }
        return new TenantBindingFilter(r);
    }
}
