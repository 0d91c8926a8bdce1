package io.ampora.dbguard.micrometer;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * Names the statements a block of code runs, so that {@code ampora.db.query.duration} can be broken down
 * by what the application was doing ({@code operation="load-orders"}), never by raw SQL: SQL text has
 * unbounded cardinality and may hold personal data.
 *
 * <pre>{@code
 * List<Order> orders = QueryOperation.call("load-orders", () -> repository.findOpenOrders(customerId));
 * try (QueryOperation.Scope scope = QueryOperation.open("nightly-export")) { ... }
 * }</pre>
 *
 * <p>The name lives in a thread-local for the duration of the block (scopes nest; the innermost wins),
 * so it reaches the JDBC decorator through any ORM or pool. Statements outside a scope are tagged
 * {@value #UNNAMED}. Names are short identifiers: letters, digits and {@code . _ : -}, at most 64
 * characters, so SQL cannot sneak in.
 */
public final class QueryOperation {

    /** The operation tag of statements run outside any scope. */
    public static final String UNNAMED = "unnamed";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private QueryOperation() {
    }

    /**
     * Runs a block with statements tagged with an operation name.
     *
     * @param name  the operation, e.g. {@code load-orders}
     * @param block the code that runs the statements
     * @param <T>   the block's result type
     * @return what the block returns
     * @throws Exception what the block throws
     * @throws IllegalArgumentException when the name is not a short identifier
     */
    public static <T> T call(String name, Callable<T> block) throws Exception {
        Scope scope = open(name);
        try {
            return block.call();
        } finally {
            scope.close();
        }
    }

    /**
     * Runs a block that returns nothing and throws no checked exception, with statements tagged.
     *
     * @param name  the operation
     * @param block the code that runs the statements
     * @throws IllegalArgumentException when the name is not a short identifier
     */
    public static void run(String name, Runnable block) {
        Scope scope = open(name);
        try {
            block.run();
        } finally {
            scope.close();
        }
    }

    /**
     * Opens a scope for try-with-resources; close it on the same thread.
     *
     * @param name the operation
     * @return the scope, which restores the enclosing operation when closed
     * @throws IllegalArgumentException when the name is not a short identifier
     */
    public static Scope open(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Operation name '" + (name.length() > 40 ? name.substring(0, 40) + "..." : name)
                    + "' is not a short identifier (letters, digits and . _ : -, at most 64 characters);"
                    + " name what the code does, e.g. load-orders, never the SQL");
        }
        String outer = CURRENT.get();
        CURRENT.set(name);
        return new Scope(outer);
    }

    /** @return the operation of the current thread, or {@value #UNNAMED} */
    public static String current() {
        String name = CURRENT.get();
        return name == null ? UNNAMED : name;
    }

    /** An open operation scope; closing it restores the enclosing one. */
    public static final class Scope implements AutoCloseable {
        private final String outer;
        private boolean closed;

        private Scope(String outer) {
            this.outer = outer;
        }

        /** Restores the enclosing operation; calling it again does nothing. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }
}
