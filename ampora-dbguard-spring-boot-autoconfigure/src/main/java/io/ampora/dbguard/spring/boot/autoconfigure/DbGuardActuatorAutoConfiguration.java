package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.monitor.DbGuardMonitor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Actuator: the {@code dbguard} health contributor (readiness, answered from the monitor's cache) and the
 * {@code dbguard} endpoint (the full report in the doctor's JSON). Both take the monitor lazily, so that creating
 * them does not start it during the startup checks. The contributor is Boot-version specific
 * (Boot 4 moved the health API to {@code org.springframework.boot.health.contributor}); each version's class
 * is selected by the class present.
 */
@AutoConfiguration(after = DbGuardAutoConfiguration.class)
@ConditionalOnBean(DbGuardMonitor.class)
public class DbGuardActuatorAutoConfiguration {

    /** Creates the auto-configuration; Spring calls it. */
    public DbGuardActuatorAutoConfiguration() {
    }

    /** Boot 4's health API. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Boot4Health {

        @Bean(name = "dbguardHealthIndicator")
        @ConditionalOnMissingBean(name = "dbguardHealthIndicator")
        DbGuardHealthIndicator dbguardHealthIndicator(ObjectProvider<DbGuardMonitor> monitor) {
            return new DbGuardHealthIndicator(monitor::getObject);
        }
    }

    /** Boot 3's health API, implemented by name (this module is compiled against Boot 4). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = Boot3Adapters.HEALTH_INDICATOR)
    static class Boot3Health {

        @Bean(name = "dbguardHealthIndicator")
        @ConditionalOnMissingBean(name = "dbguardHealthIndicator")
        static Boot3Adapters.HealthIndicatorFactory dbguardHealthIndicator(ObjectProvider<DbGuardMonitor> monitor) {
            return new Boot3Adapters.HealthIndicatorFactory(monitor::getObject);
        }
    }

    /** The endpoint, on Boot 3 and 4 alike. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
    static class EndpointConfiguration {

        @Bean
        @ConditionalOnMissingBean
        DbGuardEndpoint dbGuardEndpoint(ObjectProvider<DbGuardMonitor> monitor) {
            return new DbGuardEndpoint(monitor::getObject);
        }
    }
}
