package io.ampora.dbguard.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/** Starts (or reuses) the server a {@link WithPostgres} class needs and gives the class a fresh database. */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PostgresExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Class<?> testClass = context.getRequiredTestClass();
        PostgresServer server = PostgresServers.get(spec(testClass));
        context.getStore(NS).put("db", TestDatabase.create(server, testClass));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestDatabase db = context.getStore(NS).remove("db", TestDatabase.class);
        if (db != null) {
            db.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestDatabase.class || type == PostgresServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        TestDatabase db = find(context);
        return parameter.getParameter().getType() == TestDatabase.class ? db : db.server();
    }

    private static TestDatabase find(ExtensionContext context) {
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            TestDatabase db = c.getStore(NS).get("db", TestDatabase.class);
            if (db != null) {
                return db;
            }
        }
        throw new IllegalStateException("no database: annotate the test class with @WithPostgres");
    }

    static ServerSpec spec(Class<?> testClass) {
        WithPostgres annotation = testClass.getAnnotation(WithPostgres.class);
        if (annotation == null) {
            return ServerSpec.defaults();
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (String s : annotation.settings()) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("@WithPostgres setting '" + s + "' must be name=value");
            }
            settings.put(s.substring(0, eq).trim(), s.substring(eq + 1).trim());
        }
        return new ServerSpec(annotation.version(), settings, annotation.passwordAuth());
    }
}
