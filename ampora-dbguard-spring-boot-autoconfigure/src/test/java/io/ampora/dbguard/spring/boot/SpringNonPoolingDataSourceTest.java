package io.ampora.dbguard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.DbGuard;
import io.ampora.dbguard.check.CheckContext;
import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.NamedTestCheck;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * Spring's driver-manager DataSources open a physical connection per call, like pgjdbc's PGSimpleDataSource: a
 * report keeps its connections across its checks instead of a backend and login per check.
 */
@WithPostgres
class SpringNonPoolingDataSourceTest {

    @Test
    void reportOnSpringsDriverManagerDataSourcesRunsItsChecksOnOneKeptBackend(TestDatabase db) {
        DriverManagerDataSource driverManager = new DriverManagerDataSource(db.jdbcUrl(), db.server().adminUser(),
                db.server().adminPassword());
        SimpleDriverDataSource simpleDriver = new SimpleDriverDataSource(new Driver(), db.jdbcUrl(),
                db.server().adminUser(), db.server().adminPassword());
        List<DatabaseCheck> checks = IntStream.range(0, 5).mapToObj(i -> (DatabaseCheck) new BackendPid("pid-" + i)).toList();

        for (DataSource dataSource : List.of(driverManager, simpleDriver)) {
            Report report = DbGuard.builder().dataSource(dataSource).checks(checks).maxConcurrency(1).build().report();

            Set<String> pids = new HashSet<>();
            report.checks().forEach(r -> pids.add(r.summary()));
            assertThat(pids).as("backends of 5 checks through %s", dataSource.getClass().getSimpleName()).hasSize(1);
        }
    }

    /** Says the backend pid of its session. */
    static final class BackendPid extends NamedTestCheck {
        BackendPid(String id) {
            super(id, "says its backend pid");
        }

        @Override
        public CheckResult run(CheckContext context) throws Exception {
            try (Statement st = context.connection().createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return CheckResult.pass(this, rs.getString(1));
            }
        }
    }
}
