package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.rls.Tenant;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.orm.jpa.AbstractEntityManagerFactoryBean;

/**
 * With tenant binding on, runs the JPA provider's bootstrap in {@code Tenant.runAsSystem}: Hibernate reads the
 * database's metadata and runs statements of its own ({@code select version()} to pick the dialect) while the
 * EntityManagerFactory is built, on the main thread and outside any request, where the tenant-bound DataSource
 * would refuse them with {@code MissingTenantException} (Hibernate then fails with "Unable to determine Dialect").
 * The bootstrap goes through the factory bean's bootstrap executor: inline when the application set none, or the
 * application's own executor with each task wrapped.
 */
final class JpaBootstrapAsSystem implements BeanPostProcessor {

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
        if (bean instanceof AbstractEntityManagerFactoryBean factory) {
            factory.setBootstrapExecutor(new SystemScope(factory.getBootstrapExecutor(),
                    "JPA bootstrap of '" + beanName + "' (metadata and dialect queries)"));
        }
        return bean;
    }

    /**
     * Runs each task in the system scope, inline or on the application's bootstrap executor. Inline, a failed
     * bootstrap throws from {@link #submit(Callable)} itself, so that the context fails to start as it does without
     * an executor (a failed future would only surface at the EntityManagerFactory's first use).
     */
    private record SystemScope(AsyncTaskExecutor delegate, String reason) implements AsyncTaskExecutor {

        @Override
        public <T> Future<T> submit(Callable<T> task) {
            if (delegate != null) {
                return delegate.submit(() -> Tenant.callAsSystem(reason, task));
            }
            try {
                return CompletableFuture.completedFuture(Tenant.callAsSystem(reason, task));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void execute(Runnable task) {
            Runnable system = () -> Tenant.runAsSystem(reason, task);
            if (delegate == null) {
                system.run();
            } else {
                delegate.execute(system);
            }
        }
    }
}
