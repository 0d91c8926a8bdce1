package io.ampora.dbguard.spring.boot.autoconfigure;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.ampora.dbguard.rls.TenantDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import com.zaxxer.hikari.HikariDataSource;
import java.io.Closeable;
import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The one place where the application's DataSource is decorated, in a fixed order:
 * <pre>
 * HikariCP -&gt; GuardedPool -&gt; query timer (QueryMetrics) -&gt; tenant binding (TenantDataSource)
 * </pre>
 * Application code (JdbcTemplate, transaction managers, JPA) gets the outermost layer; Flyway gets the
 * layer below the tenant binding; the guard's checks connect with the innermost pool's URL and credentials
 * on their own connections. Only the public entry points of the integration modules are used
 * ({@code GuardedPool.wrap}, {@code QueryMetrics.wrap}, {@code TenantDataSource.builder}), so a change of their
 * JDBC wrappers' internals does not reach this class.
 *
 * <p>Each integration switches on when its library and module are on the classpath; the classes that name
 * them are only touched behind a {@link ClassUtils#isPresent} test.
 */
final class DbGuardDataSources implements DestructionAwareBeanPostProcessor, BeanFactoryAware, EnvironmentAware, Ordered {

    private static final Logger LOG = LoggerFactory.getLogger(DbGuardDataSources.class);
    private static final ClassLoader LOADER = DbGuardDataSources.class.getClassLoader();
    static final boolean HIKARI = present("com.zaxxer.hikari.HikariDataSource") && present("io.ampora.dbguard.hikari.GuardedPool");
    static final boolean MICROMETER = present("io.micrometer.core.instrument.MeterRegistry")
            && present("io.ampora.dbguard.micrometer.QueryMetrics");
    static final boolean RLS = present("io.ampora.dbguard.rls.TenantDataSource");

    private final Map<Object, Layers> byBean = Collections.synchronizedMap(new IdentityHashMap<>());
    private BeanFactory beanFactory;
    private Environment environment;
    private DbGuardProperties properties;

    /**
     * The layers of one decorated DataSource.
     *
     * @param innermost   the DataSource as Boot built it (HikariDataSource with Boot's defaults)
     * @param pool        the GuardedPool around it, or null
     * @param migrations  the layer Flyway migrates through: everything but the tenant binding
     * @param application the outermost layer, the bean the application sees
     * @param metrics     the query timer (a QueryMetrics), or null
     */
    record Layers(DataSource innermost, Object pool, DataSource migrations, DataSource application, Object metrics) {
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 10;
    }

    DbGuardProperties properties() {
        if (properties == null) {
            DbGuardPropertyNames.validate(environment);
            properties = Binder.get(environment).bindOrCreate(DbGuardProperties.PREFIX, DbGuardProperties.class);
        }
        return properties;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        if (!(bean instanceof DataSource dataSource) || byBean.containsKey(bean) || isLayer(bean)
                || !properties().isEnabled()) {
            return bean;
        }
        Layers layers = decorate(dataSource, beanName);
        byBean.put(layers.application(), layers);
        LOG.debug("DataSource bean '{}' decorated: {}", beanName, layers);
        return layers.application();
    }

    private boolean isLayer(Object bean) {
        synchronized (byBean) {
            return byBean.values().stream().anyMatch(l -> l.innermost() == bean || l.pool() == bean
                    || l.migrations() == bean || l.application() == bean);
        }
    }

    private Layers decorate(DataSource boot, String beanName) {
        DbGuardProperties props = properties();
        DataSource current = boot;
        Object pool = null;
        if (HIKARI && props.getPool().isEnabled() && Pools.isHikari(boot)) {
            pool = Pools.guard(boot, beanName, props.getPool(), registry().orElse(null));
            current = (DataSource) pool;
        }
        Object metrics = null;
        if (MICROMETER && props.getMetrics().isEnabled()) {
            Optional<Object> registry = registry();
            if (registry.isPresent()) {
                metrics = Metrics.of(registry.get());
                current = Metrics.wrap(metrics, current);
            }
        }
        DataSource migrations = current;
        if (props.getTenant().isEnabled()) {
            if (!RLS) {
                throw new DbGuardConfigurationException("ampora.dbguard.tenant.enabled=true needs ampora-dbguard-rls on"
                        + " the classpath (the starter brings it; check for an exclusion)");
            }
            current = Tenants.wrap(current, props.getTenant());
        }
        return new Layers(boot, pool, migrations, current, metrics);
    }

    Optional<Object> meterRegistry() {
        return registry();
    }

    private Optional<Object> registry() {
        if (!MICROMETER) {
            return Optional.empty();
        }
        ObjectProvider<?> provider = beanFactory.getBeanProvider(ClassUtils.resolveClassName(
                "io.micrometer.core.instrument.MeterRegistry", LOADER));
        return Optional.ofNullable(provider.getIfUnique());
    }

    /**
     * The layers of a DataSource bean this post-processor decorated, or a single layer for one it did not.
     *
     * @param application the DataSource bean as the context hands it out
     * @return its layers
     */
    Layers layersOf(DataSource application) {
        Layers layers = byBean.get(application);
        return layers != null ? layers : new Layers(application, null, application, application, null);
    }

    /**
     * Points a guard at the innermost DataSource with its own short connection budget: for a HikariDataSource
     * the checks connect with the pool's URL and credentials outside the pool, so that an outage is reported
     * within the guard's connect timeout, not after the pool's connectionTimeout, and no check takes a
     * connection the application needs.
     */
    static void target(DbGuard.Builder guard, Layers layers) {
        if (present("com.zaxxer.hikari.HikariDataSource") && Pools.isHikari(layers.innermost())
                && Pools.configure(guard, layers.innermost())) {
            return;
        }
        guard.dataSource(layers.innermost());
    }

    @Override
    public boolean requiresDestruction(Object bean) {
        return byBean.containsKey(bean);
    }

    @Override
    public void postProcessBeforeDestruction(Object bean, String beanName) throws BeansException {
        Layers layers = byBean.remove(bean);
        if (layers == null) {
            return;
        }
        try {
            // The tenant layer has no close(): close the pool (GuardedPool closes HikariCP) ourselves.
            Object closeable = layers.pool() != null ? layers.pool() : layers.innermost();
            if (closeable instanceof Closeable c) {
                c.close();
            } else if (closeable instanceof AutoCloseable c) {
                c.close();
            }
        } catch (IOException e) {
            LOG.warn("Could not close DataSource '{}': {}", beanName, e.getMessage());
        } catch (Exception e) {
            LOG.warn("Could not close DataSource '{}': {}", beanName, e.toString());
        }
    }

    private static boolean present(String className) {
        return ClassUtils.isPresent(className, LOADER);
    }

    /** HikariCP and ampora-dbguard-hikari: only loaded when both are present. */
    private static final class Pools {

        static boolean isHikari(DataSource dataSource) {
            return dataSource instanceof HikariDataSource;
        }

        static Object guard(DataSource dataSource, String beanName, DbGuardProperties.Pool props, Object meterRegistry) {
            HikariDataSource hikari = (HikariDataSource) dataSource;
            if (hikari.getPoolName() == null) {
                // HikariCP names an unnamed pool only when it starts, after the wrapper's meters are tagged with it
                hikari.setPoolName(beanName);
            }
            PoolGuardConfig.Builder config = PoolGuardConfig.custom()
                    .leakThreshold(props.getLeakThreshold())
                    .instances(props.getInstances())
                    .sampleEvery(props.getSampleEvery())
                    .reclaimUnclosed(props.isReclaimUnclosed());
            if (meterRegistry != null) {
                config.meterRegistry(meterRegistry);
            }
            return GuardedPool.wrap(hikari, config.build());
        }

        static boolean configure(DbGuard.Builder guard, DataSource innermost) {
            HikariDataSource hikari = (HikariDataSource) innermost;
            if (hikari.getJdbcUrl() == null) {
                return false;
            }
            guard.jdbcUrl(hikari.getJdbcUrl());
            if (hikari.getUsername() != null) {
                guard.user(hikari.getUsername());
            }
            if (hikari.getPassword() != null) {
                guard.password(hikari.getPassword());
            }
            hikari.getDataSourceProperties().forEach((k, v) -> guard.connectionProperty(String.valueOf(k), String.valueOf(v)));
            return true;
        }
    }

    /** Micrometer and ampora-dbguard-micrometer. */
    private static final class Metrics {

        static Object of(Object registry) {
            return QueryMetrics.of((MeterRegistry) registry);
        }

        static DataSource wrap(Object metrics, DataSource dataSource) {
            return ((QueryMetrics) metrics).wrap(dataSource);
        }
    }

    /** ampora-dbguard-rls. */
    private static final class Tenants {

        static DataSource wrap(DataSource dataSource, DbGuardProperties.Tenant props) {
            return TenantDataSource.builder(dataSource).tenantSetting(props.getSetting()).build();
        }
    }
}
