package io.ampora.dbguard.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class its own fresh database on a real PostgreSQL; inject {@link TestDatabase} into a
 * constructor, a lifecycle method or a test method.
 *
 * <pre>{@code
 * @WithPostgres(settings = "max_connections=20", passwordAuth = true)
 * class TooManyClientsTest {
 *     @Test
 *     void reportsTooManyClients(TestDatabase db) { ... }
 * }
 * }</pre>
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Inherited
@ExtendWith(PostgresExtension.class)
public @interface WithPostgres {

    /** @return server settings as {@code name=value}, e.g. {@code shared_preload_libraries=pg_stat_statements} */
    String[] settings() default {};

    /** @return whether roles other than the superuser must authenticate with a password */
    boolean passwordAuth() default false;

    /** @return a major version ("13" to "18") this class needs, or "" for the build's default */
    String version() default "";
}
