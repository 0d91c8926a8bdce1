package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.monitor.DbGuardMonitor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.springframework.beans.factory.FactoryBean;
import org.springframework.util.ClassUtils;

/**
 * The Boot 3 side of the two Boot APIs that Boot 4 moved: the health contributor
 * ({@code org.springframework.boot.actuate.health.HealthIndicator}) and Flyway's configuration customizer
 * ({@code org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer}). This module is
 * compiled against Boot 4, so the Boot 3 interfaces are implemented by name, as small proxies behind
 * FactoryBeans that declare the Boot 3 type; the behaviour is the version-neutral {@link HealthDetails} and
 * {@link DbGuardDataSources.Layers#migrations()}.
 */
final class Boot3Adapters {

    static final String HEALTH_INDICATOR = "org.springframework.boot.actuate.health.HealthIndicator";
    static final String FLYWAY_CUSTOMIZER = "org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer";
    private static final ClassLoader LOADER = Boot3Adapters.class.getClassLoader();

    private Boot3Adapters() {
    }

    /** A Boot 3 {@code HealthIndicator} answering from the monitor. */
    static final class HealthIndicatorFactory implements FactoryBean<Object> {
        private final Supplier<DbGuardMonitor> monitor;
        private final HealthDetails.LastHealth last = new HealthDetails.LastHealth();

        HealthIndicatorFactory(Supplier<DbGuardMonitor> monitor) {
            this.monitor = monitor;
        }

        @Override
        public Object getObject() {
            return proxy(HEALTH_INDICATOR, method -> method.getName().equals("health") ? args -> health() : null);
        }

        @Override
        public Class<?> getObjectType() {
            return ClassUtils.resolveClassName(HEALTH_INDICATOR, LOADER);
        }

        private Object health() throws ReflectiveOperationException {
            return last.get(monitor.get(), answer -> {
                Class<?> health = ClassUtils.forName("org.springframework.boot.actuate.health.Health", LOADER);
                Object builder = health.getMethod(answer.up() ? "up" : "down").invoke(null);
                builder.getClass().getMethod("withDetails", Map.class).invoke(builder, answer.details());
                return builder.getClass().getMethod("build").invoke(builder);
            });
        }
    }

    /** A Boot 3 {@code FlywayConfigurationCustomizer} pointing Flyway at the layer below the tenant binding. */
    static final class FlywayCustomizerFactory implements FactoryBean<Object> {
        private final DbGuardDataSources layers;

        FlywayCustomizerFactory(DbGuardDataSources layers) {
            this.layers = layers;
        }

        @Override
        public Object getObject() {
            return proxy(FLYWAY_CUSTOMIZER, method -> method.getName().equals("customize") ? args -> {
                migrateBelowTenantBinding(layers, (FluentConfiguration) args[0]);
                return null;
            } : null);
        }

        @Override
        public Class<?> getObjectType() {
            return ClassUtils.resolveClassName(FLYWAY_CUSTOMIZER, LOADER);
        }
    }

    /** Flyway migrates through everything but the tenant binding (a migration has no tenant). */
    static void migrateBelowTenantBinding(DbGuardDataSources layers, FluentConfiguration configuration) {
        DataSource ds = configuration.getDataSource();
        if (ds != null) {
            DataSource migrations = layers.layersOf(ds).migrations();
            if (migrations != ds) {
                configuration.dataSource(migrations);
            }
        }
    }

    @FunctionalInterface
    interface Call {
        Object invoke(Object[] args) throws Exception;
    }

    private static Object proxy(String interfaceName, Function<Method, Call> calls) {
        Class<?> type = ClassUtils.resolveClassName(interfaceName, LOADER);
        InvocationHandler handler = (proxy, method, args) -> {
            Call call = calls.apply(method);
            if (call != null) {
                return call.invoke(args);
            }
            return switch (method.getName()) {
                case "toString" -> "dbguard " + type.getSimpleName() + " (Boot 3)";
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> InvocationHandler.invokeDefault(proxy, method, args);
            };
        };
        return Proxy.newProxyInstance(LOADER, new Class<?>[] {type}, handler);
    }
}
