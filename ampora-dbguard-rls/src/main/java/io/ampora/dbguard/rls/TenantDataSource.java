package io.ampora.dbguard.rls;

import io.ampora.dbguard.ScopedDataSource;
import io.ampora.dbguard.internal.jdbc.DelegatingDataSource;
import io.ampora.dbguard.rls.internal.TenantBinding;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A DataSource that binds the tenant in scope ({@link Tenant}) to every transaction, for Row Level
 * Security policies keyed on a setting such as {@code app.tenant_id}.
 *
 * <p>Right before a transaction's first statement runs, it executes
 * {@code SELECT set_config('app.tenant_id', ?, true)} with the tenant id as a bind parameter: one round
 * trip per transaction, no SQL built from the id. The setting is transaction-local, so it dies with the
 * commit or rollback and never reaches the next borrower of a pooled connection, and it works through
 * PgBouncer in transaction mode (session {@code SET}s do not).
 *
 * <p>The guard: a statement without a tenant in scope fails at once with a {@link MissingTenantException}
 * naming the caller, instead of RLS silently returning no rows (runbook 9). Work that really needs no
 * tenant runs inside {@link Tenant#runAsSystem(String, Runnable)}. Tenant ids are validated before any
 * SQL runs ({@link TenantIdValidator#uuid()} by default). Autocommit connections are refused by default
 * ({@link AutocommitPolicy}).
 *
 * <pre>{@code
 * DataSource dataSource = TenantDataSource.builder(hikariDataSource).build();
 * Tenant.run(tenantId, () -> jdbcTemplate.query(...));
 * }</pre>
 *
 * <p>Every path from its connections to SQL execution is guarded: statements (also kept past their scope),
 * {@code getConnection()} of any statement, result set or metadata, a result set's {@code getStatement()},
 * savepoints. Catalog reads through {@link java.sql.DatabaseMetaData} run no statement of the application and
 * need no tenant. The one way out is explicit: {@code connection.unwrap(PGConnection.class)} (or another driver
 * class) returns the driver's object, on which nothing is guarded. {@code DbGuard} given this
 * DataSource runs its checks on {@link #delegate()} (it is a {@link ScopedDataSource}): they run without a
 * tenant.
 */
public final class TenantDataSource extends DelegatingDataSource implements ScopedDataSource {

    private final DataSource delegate;
    private final TenantBinding binding;

    private TenantDataSource(Builder builder) {
        super(builder.delegate);
        this.delegate = builder.delegate;
        this.binding = new TenantBinding(builder.tenantSetting, builder.validator, builder.autocommit,
                builder.libraryPackages);
    }

    /**
     * Wraps a DataSource with the defaults: setting {@code app.tenant_id}, UUID ids, autocommit refused.
     *
     * @param delegate any DataSource, e.g. a {@code HikariDataSource}
     * @return the guarded DataSource
     */
    public static TenantDataSource wrap(DataSource delegate) {
        return builder(delegate).build();
    }

    /**
     * Starts configuring a wrapper.
     *
     * @param delegate any DataSource, e.g. a {@code HikariDataSource}
     * @return the builder
     */
    public static Builder builder(DataSource delegate) {
        return new Builder(delegate);
    }

    /** @return the wrapped DataSource, for work that must not be guarded (DbGuard's checks, migrations) */
    @Override
    public DataSource delegate() {
        return delegate;
    }

    /** @return the name of the setting bound per transaction, e.g. {@code app.tenant_id} */
    public String tenantSetting() {
        return binding.setting();
    }

    /**
     * Borrows a connection whose statements are bound to the tenant in scope when they run.
     *
     * @return the guarded connection
     * @throws SQLException when the delegate cannot give one
     */
    @Override
    public Connection getConnection() throws SQLException {
        return binding.guard(delegate.getConnection());
    }

    /**
     * Borrows a connection as another user; see {@link #getConnection()}.
     *
     * @param username the user
     * @param password the password
     * @return the guarded connection
     * @throws SQLException when the delegate cannot give one
     */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return binding.guard(delegate.getConnection(username, password));
    }

    /** Configures a {@link TenantDataSource}; everything is validated at {@link #build()}. */
    public static final class Builder {
        private static final Pattern SETTING = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*\\.[A-Za-z_][A-Za-z0-9_$.]*");

        private final DataSource delegate;
        private String tenantSetting = "app.tenant_id";
        private TenantIdValidator validator = TenantIdValidator.uuid();
        private AutocommitPolicy autocommit = AutocommitPolicy.REFUSE;
        private List<String> libraryPackages = List.of();

        private Builder(DataSource delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
        }

        /**
         * The setting the policies read, default {@code app.tenant_id}. A custom setting needs a dot
         * ({@code prefix.name}), as PostgreSQL requires for placeholder variables.
         *
         * @param value the setting name
         * @return this builder
         */
        public Builder tenantSetting(String value) {
            this.tenantSetting = value;
            return this;
        }

        /**
         * How tenant ids are validated before any SQL; default {@link TenantIdValidator#uuid()}.
         *
         * @param value the validator
         * @return this builder
         */
        public Builder validator(TenantIdValidator value) {
            this.validator = value;
            return this;
        }

        /**
         * What to do with statements on autocommit connections; default {@link AutocommitPolicy#REFUSE}.
         *
         * @param value the policy
         * @return this builder
         */
        public Builder autocommit(AutocommitPolicy value) {
            this.autocommit = value;
            return this;
        }

        /**
         * Extra package prefixes to skip when naming the caller of an unscoped statement (your own data
         * access framework, e.g. {@code com.acme.persistence.}); JDBC, common pools and frameworks are
         * skipped already.
         *
         * @param prefixes package or class name prefixes
         * @return this builder
         */
        public Builder libraryPackages(List<String> prefixes) {
            this.libraryPackages = List.copyOf(prefixes);
            return this;
        }

        /**
         * Validates the configuration and builds the DataSource.
         *
         * @return the guarded DataSource
         * @throws IllegalArgumentException naming the setting that is wrong and what is allowed
         */
        public TenantDataSource build() {
            if (tenantSetting == null || !SETTING.matcher(tenantSetting).matches()) {
                throw new IllegalArgumentException("tenantSetting '" + tenantSetting + "' is not a custom setting"
                        + " name: use prefix.name with letters, digits and underscores, e.g. app.tenant_id");
            }
            if (validator == null) {
                throw new IllegalArgumentException("validator is null: use TenantIdValidator.uuid(),"
                        + " matching(...) or anyText(...)");
            }
            if (autocommit == null) {
                throw new IllegalArgumentException("autocommit is null: use AutocommitPolicy.REFUSE or"
                        + " BIND_PER_STATEMENT");
            }
            return new TenantDataSource(this);
        }
    }
}
