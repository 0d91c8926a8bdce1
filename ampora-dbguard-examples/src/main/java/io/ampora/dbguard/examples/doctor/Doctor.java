package io.ampora.dbguard.examples.doctor;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.DbGuardConfigurationException;
import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.CheckStatus;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.flyway.FlywayGuard;
import io.ampora.dbguard.flyway.TableSizes;
import io.ampora.dbguard.hikari.GuardedPool;
import io.ampora.dbguard.hikari.PoolGuardConfig;
import io.ampora.dbguard.micrometer.QueryMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ampora.dbguard.report.JsonReportRenderer;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.report.TextReportRenderer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The doctor: runs the runbook's checks against a database and prints the diagnosis.
 *
 * <pre>
 * java -jar ampora-dbguard-doctor.jar [--jdbc-url URL] [--user U] [--password-env VAR]
 *     [--format text|json] [--check ID]... [--set ID.KEY=VALUE]... [--app-name NAME] [--production]
 * </pre>
 *
 * Without {@code --jdbc-url} it starts an embedded PostgreSQL and checks that. Exit code 0 when no check
 * FAILs, 1 when one does, 2 on a usage error or when it could not run.
 */
@Command(name = "ampora-dbguard-doctor", mixinStandardHelpOptions = true,
        subcommands = {io.ampora.dbguard.examples.demo.DemoCommand.class, ExplainCommand.class}, version = "Ampora DbGuard doctor 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Runs the PostgreSQL runbook's checks and prints what is wrong, the evidence and the fix.",
        footer = {"", "Exit codes: 0 no check failed, 1 a check failed, 2 usage error or could not run.",
            "Run with --list-checks to see every check id and its settings."})
public final class Doctor implements Callable<Integer> {

    /** The role (and database) the doctor checks on its embedded server: an application role, not a superuser. */
    static final String EMBEDDED_ROLE = "ampora_app";

    /** Exit code when a check fails. */
    public static final int EXIT_FAILED = 1;
    /** Exit code for a usage error or a run that could not happen. */
    public static final int EXIT_USAGE = 2;

    /** Output formats. */
    enum Format { text, json }

    @Option(names = "--jdbc-url", paramLabel = "URL",
            description = "The database to check (jdbc:postgresql://host:5432/db). Without it, an embedded PostgreSQL is started and checked.")
    String jdbcUrl;

    @Option(names = "--user", paramLabel = "U", description = "The user to connect as.")
    String user;

    @Option(names = "--password-env", paramLabel = "VAR",
            description = "The environment variable holding the password (never pass a password on the command line).")
    String passwordEnv;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format: text for people (default), json for tools.")
    Format format;

    @Option(names = "--check", paramLabel = "ID", description = "Run only this check (repeatable).")
    List<String> checks = new ArrayList<>();

    @Option(names = "--set", paramLabel = "ID.KEY=VALUE",
            description = "Override a check's setting, e.g. connection-headroom.warnPercent=50, idle-in-transaction.warnAfter=30s (repeatable).")
    List<String> settings = new ArrayList<>();

    @Option(names = "--app-name", paramLabel = "NAME",
            description = "The application_name of the application's own sessions, so others (a forgotten psql) can be told apart.")
    String appName;

    @Option(names = "--production", description = "Treat insecure settings (TLS without certificate validation) as failures.")
    boolean production;

    @Option(names = "--replica-jdbc-url", paramLabel = "URL",
            description = "The read replica the application reads from; enables replica-lag (same credentials unless --replica-user / --replica-password-env).")
    String replicaJdbcUrl;

    @Option(names = "--replica-user", paramLabel = "U", description = "The user for the replica, when it differs from --user.")
    String replicaUser;

    @Option(names = "--replica-password-env", paramLabel = "VAR",
            description = "The environment variable holding the replica's password, when it differs from the primary's.")
    String replicaPasswordEnv;

    @Option(names = "--flyway-locations", split = ",", paramLabel = "LOCATION",
            description = "Flyway locations of the application's migrations (filesystem:DIR or classpath:PATH);"
                    + " enables schema-version, migration-state, migration-permissions, migration-lock, schema-drift.")
    List<String> flywayLocations = new ArrayList<>();

    @Option(names = "--flyway-table", paramLabel = "NAME", defaultValue = FlywayGuard.DEFAULT_TABLE,
            description = "Flyway schema history table (default ${DEFAULT-VALUE}).")
    String flywayTable;

    @Option(names = "--flyway-schemas", split = ",", paramLabel = "SCHEMA", description = "Flyway schemas, when not the default schema.")
    List<String> flywaySchemas = new ArrayList<>();

    @Option(names = "--flyway-snapshot", paramLabel = "FILE", description = "The committed schema snapshot (JSON) for schema-drift.")
    Path flywaySnapshot;

    @Option(names = "--tenant-setting", paramLabel = "NAME",
            description = "The setting RLS policies read the tenant from (default app.tenant_id).")
    String tenantSetting;

    @Option(names = "--tenant-table", paramLabel = "T",
            description = "A tenant table for rls-posture (repeatable; default: tables with the tenant column).")
    List<String> tenantTables = new ArrayList<>();

    @Option(names = "--tenant-column", paramLabel = "NAME",
            description = "The column that marks tenant tables (default tenant_id).")
    String tenantColumn;

    @Option(names = "--instances", paramLabel = "N",
            description = "How many instances of the application run a pool of --pool-size against this server; enables pool-budget.")
    Integer instances;

    @Option(names = "--pool-size", paramLabel = "N", defaultValue = "10",
            description = "Each instance's maximumPoolSize, for pool-budget (default ${DEFAULT-VALUE}, HikariCP's default).")
    int poolSize;

    @Option(names = "--disk-path", paramLabel = "PATH",
            description = "The database volume's path, when the doctor runs on the database host: disk-usage then checks free space.")
    String diskPath;

    @Option(names = "--check-timeout", paramLabel = "DURATION", defaultValue = "5s",
            description = "Each check's time budget (default ${DEFAULT-VALUE}).")
    String checkTimeout;

    @Option(names = "--deadline", paramLabel = "DURATION", defaultValue = "15s",
            description = "The whole report's time budget (default ${DEFAULT-VALUE}).")
    String deadline;

    @Option(names = "--list-checks", description = "List every check with its runbook section and settings, then exit.")
    boolean listChecks;

    @Option(names = "--export-table-sizes", paramLabel = "FILE",
            description = "Write every table's estimated rows (pg_class.reltuples: no lock, no scan) to FILE for"
                    + " MigrationAssertions.productionSizes(TableSizes.load(FILE), threshold), then exit.")
    Path exportTableSizes;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Runs the doctor.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /**
     * Runs the doctor with the given output streams; what tests call.
     *
     * @param out  where the report goes
     * @param err  where errors go
     * @param args the command line
     * @return the exit code
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Doctor());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // Whatever escapes a command (a bad configuration, a demo that could not be set up) means it could not run.
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("doctor: " + e.getMessage());
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (listChecks) {
            listChecks(out);
            return 0;
        }
        if (exportTableSizes != null) {
            return exportTableSizes(out, err);
        }
        EmbeddedDatabase embedded = null;
        GuardedPool pool = null;
        try {
            DbGuard.Builder builder = DbGuard.builder();
            if (jdbcUrl == null) {
                err.println("No --jdbc-url given: starting an embedded PostgreSQL to check...");
                err.flush();
                embedded = EmbeddedDatabase.start();
                embedded.createApplicationDatabase(EMBEDDED_ROLE);
                builder.jdbcUrl(embedded.jdbcUrl(EMBEDDED_ROLE)).user(EMBEDDED_ROLE);
            } else {
                builder.jdbcUrl(jdbcUrl);
                if (user != null) {
                    builder.user(user);
                }
                if (passwordEnv != null) {
                    builder.password(env("--password-env", passwordEnv));
                }
            }
            configure(builder);
            pool = fleetModel(embedded);
            if (pool != null) {
                pool.checks().forEach(builder::addCheck);
            }
            DbGuard guard = builder.build();
            Report report = guard.report();
            boolean colour = System.console() != null && System.getenv("NO_COLOR") == null;
            out.print(format == Format.json ? new JsonReportRenderer().render(report)
                    : new TextReportRenderer(colour).render(report));
            out.flush();
            return report.status() == CheckStatus.FAIL ? EXIT_FAILED : 0;
        } catch (DbGuardConfigurationException e) {
            err.println("doctor: " + e.getMessage());
            err.println("Run with --help for usage, --list-checks for check ids and settings.");
            return EXIT_USAGE;
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (RuntimeException e) {
            err.println("doctor: could not run: " + e.getMessage());
            return EXIT_USAGE;
        } finally {
            if (pool != null) {
                pool.close();
            }
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    /** Applies every option except the connection to the guard builder. */
    private void configure(DbGuard.Builder builder) {
        builder.production(production)
                .checkTimeout(duration("--check-timeout", checkTimeout))
                .deadline(duration("--deadline", deadline));
        if (appName != null) {
            builder.applicationName(appName);
        }
        if (replicaJdbcUrl != null) {
            builder.replicaJdbcUrl(replicaJdbcUrl);
            if (replicaUser != null) {
                builder.replicaUser(replicaUser);
            }
            if (replicaPasswordEnv != null) {
                builder.replicaPassword(env("--replica-password-env", replicaPasswordEnv));
            }
        }
        configureFlyway(builder);
        if (instances != null) {
            builder.set("pool-budget.instances", instances);
        }
        if (diskPath != null) {
            builder.set("disk-usage.dataPath", diskPath);
        }
        if (tenantSetting != null) {
            builder.set("rls-posture.tenantSetting", tenantSetting).set("tenant-context.tenantSetting", tenantSetting);
        }
        if (!tenantTables.isEmpty()) {
            builder.set("rls-posture.tables", String.join(",", tenantTables));
        }
        if (tenantColumn != null) {
            builder.set("rls-posture.tenantColumn", tenantColumn);
        }
        if (!checks.isEmpty()) {
            builder.only(checks);
        }
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--set " + s + ": expected ID.KEY=VALUE, e.g. connection-headroom.warnPercent=50");
            }
            builder.set(s.substring(0, eq).trim(), s.substring(eq + 1).trim());
        }
    }

    /**
     * With --instances, a HikariCP pool the size of one instance's, opened lazily (no connection is made
     * for it), so that pool-budget can weigh the whole fleet against the server's slots.
     */
    private GuardedPool fleetModel(EmbeddedDatabase embedded) {
        if (instances == null) {
            return null;
        }
        if (instances < 1 || poolSize < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--instances and --pool-size must be 1 or more");
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("doctor-fleet-model");
        config.setJdbcUrl(embedded != null ? embedded.jdbcUrl(EMBEDDED_ROLE) : jdbcUrl);
        config.setUsername(embedded != null ? EMBEDDED_ROLE : user);
        if (embedded == null && passwordEnv != null) {
            config.setPassword(env("--password-env", passwordEnv));
        }
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(0);
        config.setInitializationFailTimeout(-1);
        if (appName != null) {
            config.addDataSourceProperty("ApplicationName", appName);
        }
        return GuardedPool.wrap(new HikariDataSource(config), PoolGuardConfig.custom().instances(instances).build());
    }

    private void configureFlyway(DbGuard.Builder builder) {
        if (flywayLocations.isEmpty()) {
            if (!FlywayGuard.DEFAULT_TABLE.equals(flywayTable) || !flywaySchemas.isEmpty() || flywaySnapshot != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--flyway-table, --flyway-schemas and --flyway-snapshot need --flyway-locations");
            }
            return;
        }
        FlywayGuard.Builder flyway = FlywayGuard.custom()
                .locations(flywayLocations.toArray(String[]::new))
                .table(flywayTable)
                .schemas(flywaySchemas.toArray(String[]::new));
        if (flywaySnapshot != null) {
            flyway.schemaSnapshot(flywaySnapshot);
        }
        flyway.build().checks().forEach(builder::addCheck);
    }

    private int exportTableSizes(PrintWriter out, PrintWriter err) {
        if (jdbcUrl == null) {
            err.println("doctor: --export-table-sizes needs --jdbc-url: the production database whose sizes to export");
            return EXIT_USAGE;
        }
        java.util.Properties props = new java.util.Properties();
        props.setProperty("ApplicationName", "ampora-doctor");
        if (user != null) {
            props.setProperty("user", user);
        }
        if (passwordEnv != null) {
            props.setProperty("password", env("--password-env", passwordEnv));
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl, props)) {
            c.setReadOnly(true);
            TableSizes sizes = TableSizes.read(c);
            sizes.write(exportTableSizes);
            out.println("Wrote the estimated rows of " + sizes.rows().size() + " tables to "
                    + exportTableSizes.toAbsolutePath() + " (pg_class.reltuples; tables never analyzed are left out)."
                    + " Use it in migration tests: MigrationAssertions...productionSizes(TableSizes.load(path), 10000).");
            return 0;
        } catch (java.sql.SQLException e) {
            err.println("doctor: cannot read the table sizes: " + e.getMessage());
            return EXIT_USAGE;
        }
    }

    private String env(String option, String variable) {
        String value = System.getenv(variable);
        if (value == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + " " + variable + ": that environment variable is not set");
        }
        return value;
    }

    private Duration duration(String option, String text) {
        try {
            return CheckSetting.duration("x", Duration.ofSeconds(1), "").convert(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + text + ": " + e.getMessage());
        }
    }

    private static <T> String displayDefault(CheckSetting<T> setting) {
        return setting.display(setting.defaultValue());
    }

    private static void listChecks(PrintWriter out) {
        for (DatabaseCheck check : DbGuard.discoverChecks()) {
            listCheck(out, check, "");
        }
        // The module checks: the doctor adds them with --flyway-locations and --instances; an application adds
        // them through FlywayGuard, GuardedPool and QueryMetrics.
        FlywayGuard.custom().locations("classpath:db/migration").build().checks()
                .forEach(check -> listCheck(out, check, "  [FlywayGuard; doctor: --flyway-locations]"));
        HikariConfig lazy = new HikariConfig();
        lazy.setPoolName("doctor-list-checks");
        lazy.setJdbcUrl("jdbc:postgresql://localhost/list-checks");
        lazy.setMinimumIdle(0);
        lazy.setInitializationFailTimeout(-1);
        GuardedPool pool = GuardedPool.wrap(new HikariDataSource(lazy));
        try {
            pool.checks().forEach(check -> listCheck(out, check, "  [GuardedPool; doctor: --instances]"));
        } finally {
            pool.close();
        }
        listCheck(out, QueryMetrics.of(new SimpleMeterRegistry()).latencyCheck(), "  [QueryMetrics]");
        out.flush();
    }

    private static void listCheck(PrintWriter out, DatabaseCheck check, String addedBy) {
        out.printf("%-24s %s%s%n", check.id(), check.runbook().label(), addedBy);
        out.printf("%-24s %s%n", "", check.description());
        for (CheckSetting<?> s : check.settings()) {
            out.printf("%-24s   --set %s.%s=<%s> (default %s): %s%n", "", check.id(), s.name(),
                    s.type().allowed(), displayDefault(s), s.description());
        }
        for (SettingOrder<?> order : check.settingOrders()) {
            out.printf("%-24s   %s%n", "", order);
        }
    }
}
