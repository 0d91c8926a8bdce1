package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import io.ampora.dbguard.monitor.MonitorConfig;
import java.util.Arrays;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the guard for an application with a DataSource: the decorated DataSource (see
 * {@link DbGuardDataSources}), {@link DbGuard} and a started {@link DbGuardMonitor}, and startup verification
 * around Flyway's migration (see {@link DbGuardStartup}). The health contributor and the endpoint are in
 * {@link DbGuardActuatorAutoConfiguration}. {@code ampora.dbguard.enabled=false} turns all of it off.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
        "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnProperty(prefix = DbGuardProperties.PREFIX, name = "enabled", matchIfMissing = true)
@ConditionalOnBean(DataSource.class)
@EnableConfigurationProperties(DbGuardProperties.class)
public class DbGuardAutoConfiguration {

    /** Creates the auto-configuration; Spring calls it. */
    public DbGuardAutoConfiguration() {
    }

    /**
     * Decorates the application's DataSource beans; static so that it is registered before any DataSource.
     *
     * @return the post-processor that keeps the layers
     */
    @Bean
    static DbGuardDataSources dbGuardDataSources() {
        return new DbGuardDataSources();
    }

    /**
     * The guard over the application's DataSource, with the checks of every integration present. With several
     * DataSource beans, every one is decorated (pool guard, query timer, tenant binding) but the guard's checks,
     * readiness and startup verification cover one: the {@code @Primary} one. Several and none primary fails the
     * start naming them.
     *
     * @param properties  {@code ampora.dbguard.*}
     * @param dataSources the application's DataSource beans
     * @param beans       to name them when none can be chosen
     * @param layers      the decorator that knows its layers
     * @param environment for spring.application.name and spring.flyway.*
     * @param checks      checks the application declares as beans
     * @return the guard
     */
    @Bean
    @ConditionalOnMissingBean
    public DbGuard dbGuard(DbGuardProperties properties, ObjectProvider<DataSource> dataSources, ListableBeanFactory beans,
                           DbGuardDataSources layers, Environment environment, ObjectProvider<DatabaseCheck> checks) {
        DataSource dataSource = dataSources.getIfUnique();
        if (dataSource == null) {
            throw new DbGuardConfigurationException("Ampora DbGuard guards one DataSource, and this application has "
                    + beans.getBeanNamesForType(DataSource.class).length + " DataSource beans "
                    + Arrays.toString(beans.getBeanNamesForType(DataSource.class)) + " with none marked @Primary: mark the"
                    + " one to verify and watch @Primary (all of them are still decorated), or set"
                    + " ampora.dbguard.enabled=false");
        }
        return DbGuardFactory.build(properties, layers.layersOf(dataSource), environment, checks.orderedStream().toList());
    }

    /**
     * The background monitor, started: readiness and the endpoint answer from its last results. Lazy: created and
     * started once the context refreshed (by {@link DbGuardStartup}, after the startup checks passed), or earlier by
     * whatever injects it first, so that its first run (every check) does not compete with the start.
     *
     * @param guard      the guard
     * @param properties {@code ampora.dbguard.monitor.*}
     * @return the running monitor, closed with the context
     */
    @Bean(destroyMethod = "close")
    @Lazy
    @ConditionalOnMissingBean
    public DbGuardMonitor dbGuardMonitor(DbGuard guard, DbGuardProperties properties) {
        MonitorConfig.Builder config = MonitorConfig.builder().defaultInterval(properties.getMonitor().getInterval());
        for (Map.Entry<String, java.time.Duration> e : properties.getMonitor().getIntervals().entrySet()) {
            config.interval(e.getKey(), e.getValue());
        }
        properties.getMonitor().getProbes().forEach((id, names) -> config.probes(id, DbGuardFactory.probes(id, names)));
        if (properties.getMonitor().getFleet() != null) {
            config.fleet(properties.getMonitor().getFleet());
        }
        if (properties.getMonitor().getInstance() != null) {
            config.instance(properties.getMonitor().getInstance());
        }
        try {
            return guard.monitor(config.build());
        } catch (DbGuardConfigurationException e) {
            throw new DbGuardConfigurationException("ampora.dbguard.monitor: " + e.getMessage(), e);
        }
    }

    /**
     * Verifies the database once every singleton exists (so after Flyway migrated) and before the
     * application reports ready; binds the monitor's gauges.
     *
     * @param guard      the guard
     * @param monitor    the monitor
     * @param properties {@code ampora.dbguard.verify-on-startup}
     * @param layers     the decorator, for the meter registry
     * @return the startup hook
     */
    @Bean
    DbGuardStartup dbGuardStartup(DbGuard guard, ObjectProvider<DbGuardMonitor> monitor, DbGuardProperties properties,
                                  DbGuardDataSources layers) {
        return new DbGuardStartup(guard, monitor, properties, layers);
    }

    /** Flyway: the migration checks that predict a failed migrate run before Flyway migrates. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.flywaydb.core.Flyway", "io.ampora.dbguard.flyway.FlywayGuard"})
    static class FlywayGateConfiguration {

        /**
         * @return the hook that runs the pre-migration checks when Flyway's bean is ready, before it migrates
         */
        @Bean
        static FlywayMigrationGate dbGuardFlywayMigrationGate() {
            return new FlywayMigrationGate();
        }
    }

    /** JPA with tenant binding: the provider's bootstrap statements run in the system scope. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.springframework.orm.jpa.AbstractEntityManagerFactoryBean", "io.ampora.dbguard.rls.Tenant"})
    @ConditionalOnProperty(prefix = DbGuardProperties.PREFIX, name = "tenant.enabled", havingValue = "true")
    static class JpaTenantConfiguration {

        /** @return the post-processor that gives the EntityManagerFactory a system-scope bootstrap executor */
        @Bean
        static JpaBootstrapAsSystem dbGuardJpaBootstrapAsSystem() {
            return new JpaBootstrapAsSystem();
        }
    }

    /** Boot 4: Flyway migrates through the layer below the tenant binding. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer")
    static class Boot4FlywayConfiguration {

        @Bean
        org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer dbGuardFlywayDataSource(
                DbGuardDataSources layers) {
            return configuration -> Boot3Adapters.migrateBelowTenantBinding(layers, configuration);
        }
    }

    /** Boot 3: the same, through Boot 3's customizer interface. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = Boot3Adapters.FLYWAY_CUSTOMIZER)
    static class Boot3FlywayConfiguration {

        @Bean
        Boot3Adapters.FlywayCustomizerFactory dbGuardFlywayDataSource(DbGuardDataSources layers) {
            return new Boot3Adapters.FlywayCustomizerFactory(layers);
        }
    }
}
