import java.io.IOException;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * Generates the JDBC decorator layer of {@code io.ampora.dbguard.internal.jdbc} (connection, statements, result
 * sets, database metadata): the delegation is written here once, for every module that decorates JDBC (the
 * pool's lease tracking, the query timer, the tenant binding). Not part of the build: run it by hand when the
 * JDBC interfaces change (a new Java version), then review and commit the output (why: docs/design/jdbc-layer.md).
 *
 * <pre>
 * java ampora-dbguard-core/src/build/GenerateJdbcLayer.java \
 *     ampora-dbguard-core/src/main/java/io/ampora/dbguard/internal/jdbc
 * </pre>
 *
 * Every method of the interface delegates to the wrapped object; every method that hands out a connection,
 * statement, result set or metadata hands out the layer's object; every {@code execute*} call and
 * {@code setSavepoint} runs through the connection's {@link io.ampora.dbguard.internal.jdbc.JdbcHook}; the
 * transaction ends (commit, rollback, setAutoCommit) and closes are reported to it. The few methods that need
 * more are written by hand in the headers below.
 */
public final class GenerateJdbcLayer {

    private static final String PACKAGE = "io.ampora.dbguard.internal.jdbc";

    /**
     * @param custom the body of a method given the delegating call expression, or null for plain delegation
     */
    private record Spec(String name, Class<?> iface, Spec parent, String field, String header,
                        Set<String> handWritten, BiFunction<Method, String, String> custom) {
    }

    private static final String WRAPPER_METHODS = """

                @Override
                public <T> T unwrap(Class<T> iface) throws SQLException {
                    return Unwrapping.unwrap(this, delegate, iface);
                }

                @Override
                public boolean isWrapperFor(Class<?> iface) throws SQLException {
                    return Unwrapping.isWrapperFor(this, delegate, iface);
                }
            """;

    /**
     * What a getter hands out that leads back to SQL: an {@code Array} (its result set's statement is the
     * driver's in pgjdbc) or a value read with {@code getObject} that is an array or a result set (a refcursor).
     *
     * @param connection the expression for the layer's connection
     * @param statement  the expression for the layer's statement the value came from, or "null"
     * @return the body, or null when the method hands out nothing of that kind
     */
    private static String valueMethod(Method m, String invocation, String connection, String statement) {
        if (m.getReturnType() == Array.class) {
            return "return LayeredArray.wrap(" + invocation + ", " + connection + ");\n";
        }
        if (m.getName().equals("getObject")) {
            return m.getGenericReturnType() instanceof TypeVariable<?>
                    ? "return LayeredArray.wrapObject(" + invocation + ", " + connection + ", " + statement + ", a1);\n"
                    : "return LayeredArray.wrapObject(" + invocation + ", " + connection + ", " + statement + ");\n";
        }
        return null;
    }

    /** The statements' execute calls: through the connection's hook, result sets wrapped. */
    private static String statementMethod(Method m, String invocation) {
        String value = valueMethod(m, invocation, "connection", "this");
        if (value != null) {
            return value;
        }
        if (m.getName().startsWith("execute")) {
            String sql = m.getParameterCount() > 0 && m.getParameterTypes()[0] == String.class ? "a0" : "sql";
            String call = "h == null ? " + invocation + " : h.execute(this, " + sql + ", () -> " + invocation + ")";
            return "JdbcHook h = connection.hook;\n        return "
                    + (m.getReturnType() == ResultSet.class ? "wrap(" + call + ")" : call) + ";\n";
        }
        if (m.getReturnType() == ResultSet.class) {
            return "return wrap(" + invocation + ");\n";
        }
        return null;
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : ".");
        Spec connection = new Spec("LayeredConnection", Connection.class, null, "delegate", """
                /**
                 * The one decorated {@link Connection} of the JDBC layer: delegates to the connection it was given (a
                 * pool's proxy or the driver's) and runs every statement execution, transaction end and close through
                 * its {@link JdbcHook}s. The modules that decorate JDBC (the pool's lease tracking, the query timer, the
                 * tenant binding) add their hook to the same object ({@link #of(Connection, JdbcHook)}): stacked
                 * DataSources give one object graph, not one wrapper per module. Every statement, result set and
                 * metadata object reached from it is the layer's, and each leads back to this connection.
                 *
                 * <p>{@code unwrap}/{@code isWrapperFor}: this object, then the wrapped connection, then what that
                 * unwraps to ({@link Unwrapping}). {@code unwrap(driverClass)} is the one way out of the layer: what runs
                 * on the unwrapped object is seen by no hook.
                 *
                 * <p>Generated by {@code ampora-dbguard-core/src/build/GenerateJdbcLayer.java}: plain delegation.
                 */
                public final class LayeredConnection implements Connection {

                    private final Connection delegate;
                    /** The hooks, in the order they were added (chained by {@link HookChain}); null when none. */
                    JdbcHook hook;
                    private boolean closed;

                    private LayeredConnection(Connection delegate) {
                        this.delegate = delegate;
                    }

                    /**
                     * Decorates a connection with a hook, or adds the hook to it when it is already the layer's: the
                     * hook added last runs outermost (first before, last after an execution).
                     *
                     * @param connection a connection from a DataSource, maybe already a {@code LayeredConnection}
                     * @param hook       the hook to add, or null to only decorate
                     * @return the layer's connection
                     */
                    public static LayeredConnection of(Connection connection, JdbcHook hook) {
                        LayeredConnection layered = connection instanceof LayeredConnection l ? l : new LayeredConnection(connection);
                        if (hook != null) {
                            layered.addHook(hook);
                        }
                        return layered;
                    }

                    /**
                     * Adds a hook; call it before the connection is handed to the application (not thread-safe).
                     *
                     * @param value the hook
                     */
                    public void addHook(JdbcHook value) {
                        JdbcHook h = hook;
                        hook = h == null ? value : new HookChain(h, value);
                        value.attached(this);
                    }

                    /**
                     * Finds a hook of a type, e.g. to tell whether a module decorates this connection already.
                     *
                     * @param type the hook's class
                     * @return the hook, or null
                     * @param <H>  its type
                     */
                    public <H extends JdbcHook> H hook(Class<H> type) {
                        return HookChain.find(hook, type);
                    }

                    /** @return the connection this one delegates to (a pool's proxy or the driver's connection) */
                    public Connection delegate() {
                        return delegate;
                    }

                    /**
                     * Runs a call through the hooks as a statement execution.
                     *
                     * @param statement the statement, or null for a savepoint
                     * @param sql       the SQL, or null when the call has none
                     * @param call      the delegate's call
                     * @return its result
                     * @param <T>       the result type
                     * @throws SQLException what the call or a hook threw
                     */
                    public <T> T execute(LayeredStatement statement, String sql, JdbcCall<T> call) throws SQLException {
                        JdbcHook h = hook;
                        return h == null ? call.call() : h.execute(statement, sql, call);
                    }

                    private void transactionEnded() {
                        JdbcHook h = hook;
                        if (h != null) {
                            h.transactionEnded(this);
                        }
                    }

                    /** Closes the delegate once (the hooks are told before and after); later calls do nothing. */
                    @Override
                    public void close() throws SQLException {
                        if (closed) {
                            return;
                        }
                        closed = true;
                        JdbcHook h = hook;
                        if (h != null) {
                            try {
                                h.connectionClosing(this);
                            } catch (RuntimeException | Error e) {
                                closeAfterFailedHook(h);
                                throw e;
                            }
                        }
                        try {
                            delegate.close();
                        } finally {
                            if (h != null) {
                                h.connectionClosed(this);
                            }
                            // stays reachable until the hooks ran: a pool's lease may be a phantom reference to it
                            Reference.reachabilityFence(this);
                        }
                    }

                    /**
                     * A hook failed before the delegate's close: the delegate is closed and the hooks told all the same (a failure
                     * here replaces the hook's, as a finally block would). Out of {@link #close} and written once: C2 inlines a
                     * compiled method into its callers only while its code stays under {@code InlineSmallCode} (2,500 bytes), and
                     * HikariCP's close inlined into this one takes 2,080 of them.
                     */
                    private void closeAfterFailedHook(JdbcHook h) throws SQLException {
                        try {
                            delegate.close();
                        } finally {
                            h.connectionClosed(this);
                            Reference.reachabilityFence(this);
                        }
                    }

                    @Override
                    public void abort(Executor a0) throws SQLException {
                        boolean wasClosed = closed;
                        closed = true;
                        JdbcHook h = wasClosed ? null : hook;
                        try {
                            if (h != null) {
                                h.connectionClosing(this);
                            }
                        } finally {
                            try {
                                delegate.abort(a0);
                            } finally {
                                if (h != null) {
                                    h.connectionClosed(this);
                                }
                                Reference.reachabilityFence(this);
                            }
                        }
                    }

                    @Override
                    public boolean isClosed() throws SQLException {
                        return closed || delegate.isClosed();
                    }

                    @Override
                    public String toString() {
                        return "LayeredConnection[" + delegate + "]";
                    }
                """ + WRAPPER_METHODS, Set.of("close", "abort", "isClosed", "unwrap", "isWrapperFor"),
                (m, invocation) -> {
                    String a0 = m.getParameterCount() > 0 && m.getParameterTypes()[0] == String.class ? "a0" : "null";
                    return switch (m.getName()) {
                        case "createStatement" -> "return new LayeredStatement(" + invocation + ", this, null);\n";
                        case "prepareStatement" -> "return new LayeredPreparedStatement(" + invocation + ", this, " + a0 + ");\n";
                        case "prepareCall" -> "return new LayeredCallableStatement(" + invocation + ", this, " + a0 + ");\n";
                        case "getMetaData" -> "return new LayeredDatabaseMetaData(" + invocation + ", this);\n";
                        case "createArrayOf" -> "return LayeredArray.wrap(" + invocation + ", this);\n";
                        // bound before the savepoint: a binding made after it would be undone by rolling back to it
                        case "setSavepoint" -> "return execute(null, null, () -> " + invocation + ");\n";
                        case "commit", "setAutoCommit" -> invocation + ";\n        transactionEnded();\n";
                        case "rollback" -> m.getParameterCount() == 0 ? invocation + ";\n        transactionEnded();\n" : null;
                        default -> null;
                    };
                });
        Spec statement = new Spec("LayeredStatement", Statement.class, null, "delegate", """
                /**
                 * A {@link Statement} of a {@link LayeredConnection}: every {@code execute*} call runs through the
                 * connection's hooks with its SQL, {@link #getConnection()} returns the layer's connection (held
                 * strongly, so code that keeps only the statement keeps a pool's lease reachable) and result sets come
                 * as {@link LayeredResultSet}.
                 *
                 * <p>Generated by {@code ampora-dbguard-core/src/build/GenerateJdbcLayer.java}: plain delegation.
                 */
                public class LayeredStatement implements Statement {

                    final Statement delegate;
                    final LayeredConnection connection;
                    /** The SQL it was prepared with; null for a plain statement. */
                    final String sql;
                    private ResultSet lastResult;
                    private LayeredResultSet lastWrapper;

                    LayeredStatement(Statement delegate, LayeredConnection connection, String sql) {
                        this.delegate = delegate;
                        this.connection = connection;
                        this.sql = sql;
                    }

                    /** @return the SQL it was prepared with; null for a plain statement */
                    public final String sql() {
                        return sql;
                    }

                    /**
                     * Wraps a result set of this statement, the same wrapper for the same result set.
                     *
                     * @param rs a result set of the delegate, or null
                     * @return its wrapper, or null
                     */
                    final ResultSet wrap(ResultSet rs) {
                        if (rs == null) {
                            return null;
                        }
                        if (rs != lastResult) {
                            lastWrapper = new LayeredResultSet(rs, this, connection);
                            lastResult = rs;
                        }
                        return lastWrapper;
                    }

                    @Override
                    public final LayeredConnection getConnection() {
                        return connection;
                    }

                    @Override
                    public void close() throws SQLException {
                        delegate.close();
                        JdbcHook h = connection.hook;
                        if (h != null) {
                            h.statementClosed(this);
                        }
                    }

                    @Override
                    public String toString() {
                        return "LayeredStatement[" + delegate + "]";
                    }
                """ + WRAPPER_METHODS, Set.of("getConnection", "close", "unwrap", "isWrapperFor"),
                GenerateJdbcLayer::statementMethod);
        Spec prepared = new Spec("LayeredPreparedStatement", PreparedStatement.class, statement, "prepared", """
                /**
                 * A {@link PreparedStatement} of a {@link LayeredConnection}; see {@link LayeredStatement}.
                 *
                 * <p>Generated by {@code ampora-dbguard-core/src/build/GenerateJdbcLayer.java}: plain delegation.
                 */
                public class LayeredPreparedStatement extends LayeredStatement implements PreparedStatement {

                    private final PreparedStatement prepared;

                    LayeredPreparedStatement(PreparedStatement delegate, LayeredConnection connection, String sql) {
                        super(delegate, connection, sql);
                        this.prepared = delegate;
                    }
                """, Set.of(), GenerateJdbcLayer::statementMethod);
        Spec callable = new Spec("LayeredCallableStatement", CallableStatement.class, prepared, "callable", """
                /**
                 * A {@link CallableStatement} of a {@link LayeredConnection}; see {@link LayeredStatement}. An OUT
                 * parameter that is a result set (a refcursor) or an array comes as the layer's too.
                 *
                 * <p>Generated by {@code ampora-dbguard-core/src/build/GenerateJdbcLayer.java}: plain delegation.
                 */
                public final class LayeredCallableStatement extends LayeredPreparedStatement implements CallableStatement {

                    private final CallableStatement callable;

                    LayeredCallableStatement(CallableStatement delegate, LayeredConnection connection, String sql) {
                        super(delegate, connection, sql);
                        this.callable = delegate;
                    }
                """, Set.of(), GenerateJdbcLayer::statementMethod);
        Spec resultSet = new Spec("LayeredResultSet", ResultSet.class, null, "delegate", """
                /**
                 * A {@link ResultSet} of the layer: holds the statement and the connection it came from strongly, and
                 * {@link #getStatement()} returns the layer's statement, also for the result sets of metadata and of
                 * arrays (whose driver statement is wrapped on first call), so SQL run through it passes the
                 * connection's hooks. Arrays and {@code getObject} values that are arrays or result sets are the layer's.
                 *
                 * <p>Generated by {@code ampora-dbguard-core/src/build/GenerateJdbcLayer.java}: plain delegation, no
                 * reflection or boxing per getter call.
                 */
                public final class LayeredResultSet implements ResultSet {

                    private final ResultSet delegate;
                    private final LayeredConnection connection;
                    private LayeredStatement statement;

                    /**
                     * @param delegate   the wrapped result set
                     * @param statement  the statement it came from, or null when it came from metadata or an array
                     * @param connection the layer's connection it came from
                     */
                    LayeredResultSet(ResultSet delegate, LayeredStatement statement, LayeredConnection connection) {
                        this.delegate = delegate;
                        this.statement = statement;
                        this.connection = connection;
                    }

                    @Override
                    public Statement getStatement() throws SQLException {
                        if (statement == null) {
                            Statement s = delegate.getStatement();
                            if (s == null) {
                                return null;
                            }
                            statement = new LayeredStatement(s, connection, null);
                        }
                        return statement;
                    }
                """ + WRAPPER_METHODS, Set.of("getStatement", "unwrap", "isWrapperFor"),
                (m, invocation) -> valueMethod(m, invocation, "connection", "statement"));
        Spec metaData = new Spec("LayeredDatabaseMetaData", DatabaseMetaData.class, null, "delegate", """
                /**
                 * The {@link DatabaseMetaData} of a {@link LayeredConnection}: {@link #getConnection()} returns the
                 * layer's connection and its result sets are {@link LayeredResultSet}s.
                 *
                 * <p>Generated by {@code ampora-dbguard-core/src/build/GenerateJdbcLayer.java}: plain delegation.
                 */
                public final class LayeredDatabaseMetaData implements DatabaseMetaData {

                    private final DatabaseMetaData delegate;
                    final LayeredConnection connection;

                    LayeredDatabaseMetaData(DatabaseMetaData delegate, LayeredConnection connection) {
                        this.delegate = delegate;
                        this.connection = connection;
                    }

                    private ResultSet wrap(ResultSet rs) {
                        return rs == null ? null : new LayeredResultSet(rs, null, connection);
                    }

                    @Override
                    public LayeredConnection getConnection() {
                        return connection;
                    }
                """ + WRAPPER_METHODS, Set.of("getConnection", "unwrap", "isWrapperFor"),
                (m, invocation) -> m.getReturnType() == ResultSet.class ? "return wrap(" + invocation + ");\n" : null);
        Spec array = new Spec("LayeredArray", Array.class, null, "delegate", """
                /**
                 * An SQL {@link Array} reached from the layer (a result set, an OUT parameter, {@code createArrayOf}):
                 * its result sets are the layer's, so their {@code getStatement()} (in pgjdbc a statement of the
                 * driver's connection) leads back to the layer's connection and its hooks, not around them.
                 *
                 * <p>Generated by {@code ampora-dbguard-core/src/build/GenerateJdbcLayer.java}: plain delegation.
                 */
                public final class LayeredArray implements Array {

                    private final Array delegate;
                    private final LayeredConnection connection;

                    private LayeredArray(Array delegate, LayeredConnection connection) {
                        this.delegate = delegate;
                        this.connection = connection;
                    }

                    /**
                     * @param array      the driver's array, or null
                     * @param connection the layer's connection it was reached from
                     * @return the layer's array, or null
                     */
                    static Array wrap(Array array, LayeredConnection connection) {
                        return array == null || array instanceof LayeredArray ? array : new LayeredArray(array, connection);
                    }

                    /**
                     * A value read with {@code getObject}: an array or a result set (a refcursor) comes as the layer's.
                     *
                     * @param value      the driver's value
                     * @param connection the layer's connection it was read through
                     * @param statement  the layer's statement it was read through, or null
                     * @return the value, decorated when it leads back to SQL
                     */
                    static Object wrapObject(Object value, LayeredConnection connection, LayeredStatement statement) {
                        if (value instanceof Array a) {
                            return wrap(a, connection);
                        }
                        if (value instanceof ResultSet rs && !(rs instanceof LayeredResultSet)) {
                            return new LayeredResultSet(rs, statement, connection);
                        }
                        return value;
                    }

                    /**
                     * A value read with {@code getObject(column, type)}: decorated as above when the decorated value is
                     * still of the type asked for ({@code Array.class}, {@code ResultSet.class}, {@code Object.class}); a
                     * driver class asked for by name is the caller's explicit way out, like {@code unwrap}.
                     */
                    static <T> T wrapObject(T value, LayeredConnection connection, LayeredStatement statement, Class<T> type) {
                        Object wrapped = wrapObject(value, connection, statement);
                        return type != null && type.isInstance(wrapped) ? type.cast(wrapped) : value;
                    }

                    /** @return the driver's array for one of the layer's, anything else as is */
                    static Array unwrap(Array array) {
                        return array instanceof LayeredArray a ? a.delegate : array;
                    }

                    /** @return the driver's array for one of the layer's, any other value as is */
                    static Object unwrapObject(Object value) {
                        return value instanceof LayeredArray a ? a.delegate : value;
                    }

                    /** @return the driver's text of the array (pgjdbc binds a foreign Array by this literal) */
                    @Override
                    public String toString() {
                        return delegate.toString();
                    }
                """, Set.of(), (m, invocation) -> m.getReturnType() == ResultSet.class
                        ? "return new LayeredResultSet(" + invocation + ", null, connection);\n" : null);
        for (Spec spec : List.of(connection, statement, prepared, callable, resultSet, metaData, array)) {
            Files.writeString(out.resolve(spec.name() + ".java"), generate(spec));
        }
    }

    private static String key(Method m) {
        StringBuilder k = new StringBuilder(m.getName()).append('(');
        Class<?>[] p = m.getParameterTypes();
        for (int i = 0; i < p.length; i++) {
            k.append(i == 0 ? "" : ",").append(p[i].getTypeName());
        }
        return k.append(')').toString();
    }

    /** @return the interface's instance methods by signature, the most specific declaration of each */
    private static Map<String, Method> methods(Class<?> iface) {
        Map<String, Method> byKey = new LinkedHashMap<>();
        for (Method m : iface.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            byKey.merge(key(m), m, (a, b) -> a.getDeclaringClass().isAssignableFrom(b.getDeclaringClass()) ? b : a);
        }
        return byKey;
    }

    private static String generate(Spec spec) {
        Set<String> imports = new TreeSet<>();
        Map<String, Method> inherited = spec.parent() == null ? Map.of() : methods(spec.parent().iface());
        List<Method> todo = new ArrayList<>();
        for (Map.Entry<String, Method> e : methods(spec.iface()).entrySet()) {
            Method m = e.getValue();
            if (inherited.containsKey(e.getKey()) || spec.handWritten().contains(e.getKey())
                    || spec.handWritten().contains(m.getName())) {
                continue;
            }
            todo.add(m);
        }
        todo.sort(Comparator.comparing(Method::getName).thenComparing(GenerateJdbcLayer::key));
        StringBuilder body = new StringBuilder();
        for (Method m : todo) {
            body.append('\n').append("    @Override\n    public ");
            TypeVariable<Method>[] tvs = m.getTypeParameters();
            if (tvs.length > 0) {
                StringBuilder tv = new StringBuilder("<");
                for (int i = 0; i < tvs.length; i++) {
                    tv.append(i == 0 ? "" : ", ").append(tvs[i].getName());
                }
                body.append(tv).append("> ");
            }
            body.append(type(m.getGenericReturnType(), imports)).append(' ').append(m.getName()).append('(');
            Type[] params = m.getGenericParameterTypes();
            StringBuilder call = new StringBuilder();
            for (int i = 0; i < params.length; i++) {
                String t = type(params[i], imports);
                if (i == params.length - 1 && m.isVarArgs()) {
                    t = t.substring(0, t.length() - 2) + "...";
                }
                body.append(i == 0 ? "" : ", ").append(t).append(" a").append(i);
                call.append(i == 0 ? "" : ", ").append(argument(m, i));
            }
            body.append(')');
            Class<?>[] ex = m.getExceptionTypes();
            if (ex.length > 0) {
                body.append(" throws ");
                for (int i = 0; i < ex.length; i++) {
                    body.append(i == 0 ? "" : ", ").append(type(ex[i], imports));
                }
            }
            body.append(" {\n        ");
            String invocation = spec.field() + "." + m.getName() + "(" + call + ")";
            String custom = spec.custom() == null ? null : spec.custom().apply(m, invocation);
            if (custom != null) {
                body.append(custom);
            } else if (m.getReturnType() == void.class) {
                body.append(invocation).append(";\n");
            } else {
                body.append("return ").append(invocation).append(";\n");
            }
            body.append("    }\n");
        }
        // types named in the hand-written part
        for (String t : List.of("java.sql.Array", "java.sql.Connection", "java.sql.ResultSet", "java.sql.SQLException",
                "java.sql.Statement", "java.sql.PreparedStatement", "java.sql.CallableStatement",
                "java.sql.DatabaseMetaData", "java.lang.ref.Reference", "java.util.concurrent.Executor")) {
            if (spec.header().matches("(?s).*\\b" + t.substring(t.lastIndexOf('.') + 1) + "\\b.*")) {
                imports.add(t);
            }
        }
        StringBuilder src = new StringBuilder("package ").append(PACKAGE).append(";\n\n");
        for (String i : imports) {
            src.append("import ").append(i).append(";\n");
        }
        src.append('\n').append(spec.header()).append(body).append("}\n");
        return src.toString();
    }

    /**
     * An argument as the delegate gets it: the layer's own array handed back (setArray, updateArray, setObject)
     * goes to the driver as the driver's, so that it binds it as it would its own (pgjdbc sends its arrays in
     * binary, any other Array as text).
     */
    private static String argument(Method m, int i) {
        Class<?> p = m.getParameterTypes()[i];
        if (p == Array.class) {
            return "LayeredArray.unwrap(a" + i + ")";
        }
        if (p == Object.class && (m.getName().equals("setObject") || m.getName().equals("updateObject"))) {
            return "LayeredArray.unwrapObject(a" + i + ")";
        }
        return "a" + i;
    }

    private static String type(Type t, Set<String> imports) {
        if (t instanceof Class<?> c) {
            if (c.isArray()) {
                return type(c.getComponentType(), imports) + "[]";
            }
            if (c.isPrimitive()) {
                return c.getName();
            }
            String pkg = c.getPackageName();
            if (!pkg.equals("java.lang") && !pkg.equals(PACKAGE)) {
                imports.add(c.getName().replace('$', '.'));
            }
            return c.getSimpleName();
        }
        if (t instanceof ParameterizedType p) {
            StringBuilder s = new StringBuilder(type(p.getRawType(), imports)).append('<');
            Type[] args = p.getActualTypeArguments();
            for (int i = 0; i < args.length; i++) {
                s.append(i == 0 ? "" : ", ").append(type(args[i], imports));
            }
            return s.append('>').toString();
        }
        if (t instanceof TypeVariable<?> v) {
            return v.getName();
        }
        if (t instanceof WildcardType w) {
            if (w.getLowerBounds().length > 0) {
                return "? super " + type(w.getLowerBounds()[0], imports);
            }
            Type upper = w.getUpperBounds()[0];
            return upper == Object.class ? "?" : "? extends " + type(upper, imports);
        }
        if (t instanceof GenericArrayType g) {
            return type(g.getGenericComponentType(), imports) + "[]";
        }
        throw new IllegalArgumentException(t.toString());
    }
}
