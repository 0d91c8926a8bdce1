package io.ampora.dbguard.spring.boot.autoconfigure;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MutablePropertySources;

/**
 * Takes {@code dbguard} back out of the readiness group when the context defines no {@code dbguard} contributor
 * (no DataSource bean, so the guard is not configured): {@link DbGuardEnvironmentPostProcessor} adds it before any
 * bean is known, and Actuator refuses a group naming a contributor that does not exist. Decided once all bean
 * definitions are registered (auto-configuration conditions evaluated), before Actuator binds its properties.
 */
public final class DbGuardReadinessInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    /** The contributor's bean name; Actuator names the contributor {@code dbguard} after it. */
    static final String CONTRIBUTOR_BEAN = "dbguardHealthIndicator";

    /** Created by Boot. */
    public DbGuardReadinessInitializer() {
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        context.addBeanFactoryPostProcessor(new BeanFactoryPostProcessor() {
            @Override
            public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
                MutablePropertySources sources = context.getEnvironment().getPropertySources();
                if (sources.contains(DbGuardEnvironmentPostProcessor.SOURCE)
                        && !beanFactory.containsBeanDefinition(CONTRIBUTOR_BEAN)
                        && !beanFactory.containsBeanDefinition(DbGuardEnvironmentPostProcessor.CONTRIBUTOR)) {
                    // the application's own include, if it set one, is in a property source below
                    sources.remove(DbGuardEnvironmentPostProcessor.SOURCE);
                }
            }
        });
    }
}
