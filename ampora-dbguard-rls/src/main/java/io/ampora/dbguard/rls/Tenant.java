package io.ampora.dbguard.rls;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenant a unit of work runs for: a scope held in a {@link ThreadLocal}, so it works the same on
 * platform and virtual threads. A {@link TenantDataSource} binds the scope's tenant to every transaction.
 *
 * <pre>{@code
 * List<Order> orders = Tenant.call(tenantId, () -> orderRepository.findAll());
 * Tenant.runAsSystem("nightly invoice run", () -> invoiceJob.run());
 * }</pre>
 *
 * <p>Nesting rules, chosen so that a mistake fails loudly rather than mixing tenants:
 * <ul>
 *   <li>the same tenant inside itself is fine (a service calling another service);</li>
 *   <li>a different tenant inside a tenant throws {@link TenantException}: finish the first unit of work,
 *       then start the next;</li>
 *   <li>a system scope inside a tenant throws too (it would silently drop isolation); a tenant inside a
 *       system scope is fine (a system job visiting tenants one after another);</li>
 *   <li>the previous scope is restored when the work ends, also when it throws.</li>
 * </ul>
 * The scope does not follow work to other threads: pass the id and open a scope there.
 */
public final class Tenant {

    private static final Logger LOG = LoggerFactory.getLogger(Tenant.class);
    private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    private Tenant() {
    }

    /** What is in scope on this thread: a tenant id, or a system scope with its reason. */
    private record Scope(String tenantId, String systemReason) {
    }

    /**
     * Runs work for a tenant.
     *
     * @param tenantId the tenant, non-empty; validated by the {@link TenantDataSource} before any SQL
     * @param work     the unit of work
     * @throws TenantException when a different tenant or a system scope is already in scope
     */
    public static void run(String tenantId, Runnable work) {
        Objects.requireNonNull(work, "work");
        try {
            call(tenantId, () -> {
                work.run();
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs work for a tenant and returns its result; checked exceptions of the work pass through.
     *
     * @param tenantId the tenant, non-empty; validated by the {@link TenantDataSource} before any SQL
     * @param work     the unit of work
     * @param <T>      the result type
     * @return what the work returned
     * @throws Exception what the work threw, or {@link TenantException} for a forbidden nesting
     */
    public static <T> T call(String tenantId, Callable<T> work) throws Exception {
        Objects.requireNonNull(work, "work");
        if (tenantId == null || tenantId.isEmpty()) {
            throw new InvalidTenantIdException("tenant id is null or empty: an unset tenant is what makes RLS hide"
                    + " every row; pass the tenant of the request, or use Tenant.runAsSystem(reason, work)");
        }
        Scope outer = CURRENT.get();
        if (outer != null && outer.tenantId() != null && !outer.tenantId().equals(tenantId)) {
            throw new TenantException("a different tenant was opened inside the scope of another tenant on thread "
                    + Thread.currentThread().getName() + ": finish one unit of work before starting the next,"
                    + " so that no transaction can mix tenants");
        }
        return within(new Scope(tenantId, null), outer, work);
    }

    /**
     * Runs work without a tenant, on purpose: system jobs, migrations of reference data, cross-tenant
     * reports through a role that bypasses RLS. Logged at INFO with the reason, so that every unscoped
     * unit of work leaves a trace. On a {@link TenantDataSource} its statements run without binding.
     *
     * @param reason why this work needs no tenant, e.g. "nightly invoice run"; shown in the log
     * @param work   the unit of work
     * @throws TenantException when called inside a tenant scope
     */
    public static void runAsSystem(String reason, Runnable work) {
        Objects.requireNonNull(work, "work");
        try {
            callAsSystem(reason, () -> {
                work.run();
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Like {@link #runAsSystem(String, Runnable)}, returning the work's result.
     *
     * @param reason why this work needs no tenant; shown in the log
     * @param work   the unit of work
     * @param <T>    the result type
     * @return what the work returned
     * @throws Exception what the work threw, or {@link TenantException} when called inside a tenant scope
     */
    public static <T> T callAsSystem(String reason, Callable<T> work) throws Exception {
        Objects.requireNonNull(work, "work");
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a system scope needs a reason, e.g. \"nightly invoice run\"");
        }
        Scope outer = CURRENT.get();
        if (outer != null && outer.tenantId() != null) {
            throw new TenantException("Tenant.runAsSystem(\"" + reason + "\") was called inside the scope of a tenant:"
                    + " that would drop isolation in the middle of a request; run system work outside it");
        }
        LOG.info("Running without a tenant as system work: {}", reason);
        return within(new Scope(null, reason), outer, work);
    }

    /** @return the tenant in scope on this thread, empty outside a tenant scope */
    public static Optional<String> current() {
        Scope scope = CURRENT.get();
        return Optional.ofNullable(scope == null ? null : scope.tenantId());
    }

    /** @return whether this thread runs system work ({@link #runAsSystem}) with no tenant inside it */
    public static boolean isSystem() {
        Scope scope = CURRENT.get();
        return scope != null && scope.tenantId() == null;
    }

    /** @return the reason given to the innermost system scope, empty when none is in scope */
    public static Optional<String> systemReason() {
        Scope scope = CURRENT.get();
        return Optional.ofNullable(scope == null ? null : scope.systemReason());
    }

    private static <T> T within(Scope scope, Scope outer, Callable<T> work) throws Exception {
        CURRENT.set(scope);
        try {
            return work.call();
        } finally {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }
}
