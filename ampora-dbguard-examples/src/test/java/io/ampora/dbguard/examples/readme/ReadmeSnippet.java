package io.ampora.dbguard.examples.readme;

import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.hikari.GuardedPool;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;

/**
 * The README's placeholders: what a snippet uses without declaring it, standing for the reader's own
 * objects. {@link ReadmeSnippetsCompileTest} wraps every statement snippet into a method of a subclass, so
 * these names resolve; they are only compiled, never run. The README lists the same names.
 */
public abstract class ReadmeSnippet {

    /** Your pool (or any DataSource). */
    protected DataSource dataSource;
    /** Your HikariCP pool. */
    protected HikariDataSource hikariDataSource;
    /** The pool wrapped by {@code GuardedPool.wrap(...)}. */
    protected GuardedPool pool;
    /** The built guard. */
    protected DbGuard guard;
    /** Your Micrometer registry. */
    protected MeterRegistry meterRegistry;
    /** Your SLF4J logger. */
    protected Logger log;
    /** The tenant of the request. */
    protected String tenantId;
    /** Your data access. */
    protected OrderRepository orderRepository;
    /** A system job. */
    protected InvoiceJob invoiceJob;

    /** Your repository. */
    public interface OrderRepository {
        /** @return the tenant's orders */
        List<Order> findAll();
    }

    /** Your entity. */
    public record Order(String id) {
    }

    /** Your batch job. */
    public interface InvoiceJob {
        /** Runs it. */
        void run();
    }
}
