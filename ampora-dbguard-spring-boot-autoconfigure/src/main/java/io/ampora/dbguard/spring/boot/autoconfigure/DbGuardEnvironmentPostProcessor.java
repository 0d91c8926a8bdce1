package io.ampora.dbguard.spring.boot.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Puts {@code dbguard} in Actuator's readiness group, merged with any {@code include} the application set
 * (Boot's readiness group holds only {@code readinessState} otherwise), never in liveness; and turns Boot's
 * own {@code db} health indicator off by default (it runs a query per probe and waits for the pool's
 * connection timeout when the database is down; {@code dbguard} answers from the monitor's cache). The
 * application can turn it back on with {@code management.health.db.enabled=true}.
 *
 * <p>Uses the {@code org.springframework.boot.env} interface, which Boot 3 reads and Boot 4 still reads.
 */
@SuppressWarnings("deprecation")
public final class DbGuardEnvironmentPostProcessor implements org.springframework.boot.env.EnvironmentPostProcessor, Ordered {

    static final String READINESS_INCLUDE = "management.endpoint.health.group.readiness.include";
    static final String CONTRIBUTOR = "dbguard";
    /** The property source holding the readiness include with {@code dbguard} (the application's own stays below). */
    static final String SOURCE = "ampora-dbguard-readiness";

    /** Created by Boot. */
    public DbGuardEnvironmentPostProcessor() {
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.getProperty(DbGuardProperties.PREFIX + ".enabled", Boolean.class, true)
                || environment.getPropertySources().contains(SOURCE)) {
            return;
        }
        List<String> include = new ArrayList<>(Binder.get(environment)
                .bind(READINESS_INCLUDE, Bindable.listOf(String.class)).orElse(List.of("readinessState")));
        if (!include.contains(CONTRIBUTOR) && !include.contains("*")) {
            include.add(CONTRIBUTOR);
        }
        environment.getPropertySources().addFirst(new MapPropertySource(SOURCE,
                Map.of(READINESS_INCLUDE, String.join(",", include))));
        environment.getPropertySources().addLast(new MapPropertySource("ampora-dbguard-defaults",
                Map.of("management.health.db.enabled", "false")));
    }
}
