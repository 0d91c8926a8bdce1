package io.ampora.dbguard.spring.boot.autoconfigure;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.Configuration;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Runs the checks that predict a failed migration ({@code connectivity}, {@code migration-lock},
 * {@code migration-permissions}, {@code schema-version}) as soon as Boot's Flyway bean is initialized, which
 * is before Boot's migration initializer calls {@code migrate()} with it, whatever migration strategy the
 * application set. Working on the Flyway bean keeps this hook the same on Boot 3 and 4.
 *
 * <p>It also makes sure Flyway migrates below the tenant binding: the configuration customizer does that when
 * Boot applies it, but when JPA is present Boot 3 creates Flyway early (the EntityManagerFactory depends on the
 * migration, and is created while load-time weaving is set up), before the customizer of this module (a
 * FactoryBean there) can be matched by type. A Flyway bean still configured with the tenant-bound layer is
 * rebuilt with the same configuration on the layer below it.
 */
final class FlywayMigrationGate implements BeanPostProcessor, BeanFactoryAware {

    private BeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        if (bean instanceof Flyway flyway) {
            Flyway migrating = belowTenantBinding(flyway);
            beanFactory.getBeanProvider(DbGuardStartup.class).ifAvailable(DbGuardStartup::beforeMigration);
            return migrating;
        }
        return bean;
    }

    private Flyway belowTenantBinding(Flyway flyway) {
        DbGuardDataSources layers = beanFactory.getBeanProvider(DbGuardDataSources.class).getIfAvailable();
        Configuration configuration = flyway.getConfiguration();
        DataSource current = configuration.getDataSource();
        if (layers == null || current == null) {
            return flyway;
        }
        DataSource migrations = layers.layersOf(current).migrations();
        if (migrations == current) {
            return flyway;
        }
        return Flyway.configure(configuration.getClassLoader()).configuration(configuration).dataSource(migrations).load();
    }
}
