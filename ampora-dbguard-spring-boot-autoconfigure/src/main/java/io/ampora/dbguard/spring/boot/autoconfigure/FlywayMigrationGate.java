package io.ampora.dbguard.spring.boot.autoconfigure;

import org.flywaydb.core.Flyway;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Runs the checks that predict a failed migration ({@code connectivity}, {@code migration-lock},
 * {@code migration-permissions}, {@code schema-version}) as soon as Boot's Flyway bean is initialized, which
 * is before Boot's migration initializer calls {@code migrate()} with it, whatever migration strategy the
 * application set. Working on the Flyway bean keeps this hook the same on Boot 3 and 4.
 */
final class FlywayMigrationGate implements BeanPostProcessor, BeanFactoryAware {

    private BeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        if (bean instanceof Flyway) {
            beanFactory.getBeanProvider(DbGuardStartup.class).ifAvailable(DbGuardStartup::beforeMigration);
        }
        return bean;
    }
}
