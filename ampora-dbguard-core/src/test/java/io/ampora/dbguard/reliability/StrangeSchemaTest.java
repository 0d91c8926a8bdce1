package io.ampora.dbguard.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckResult;
import io.ampora.dbguard.check.Finding;
import io.ampora.dbguard.report.Report;
import io.ampora.dbguard.testing.PostgresServers;
import io.ampora.dbguard.testing.ServerSpec;
import io.ampora.dbguard.testing.TestDatabase;
import io.ampora.dbguard.testing.WithPostgres;
import org.junit.jupiter.api.Test;

/** Every discovered check on schemas no one designs for: it runs without error and quotes names right. */
@WithPostgres
class StrangeSchemaTest {

    @Test
    void everyCheckRunsCleanOnWeirdIdentifiersPartitionsViewsAndManySchemas(TestDatabase db) throws Exception {
        db.execute(SchemaFixtures.SMALL);
        db.execute(SchemaFixtures.manySchemas(200));

        Report report = EveryCheck.run(db.dataSource(), "weird identifiers, partitions, views, 200 schemas");

        EveryCheck.assertNoCheckErrors(report);
        for (CheckResult r : report.checks()) {
            for (Finding f : r.findings()) {
                String text = f.message() + " " + f.details();
                // A name the check built must be quoted: the bare, unquoted forms never appear.
                assertThat(text).as(r.checkId()).doesNotContain("My Schema.").doesNotContain("Order \"Items\"");
            }
        }
    }

    @Test
    void everyCheckRunsCleanOnAnEmptyDatabase() throws Exception {
        try (TestDatabase empty = TestDatabase.create(PostgresServers.get(ServerSpec.defaults()), StrangeSchemaTest.class)) {
            Report report = EveryCheck.run(empty.dataSource(), "empty database");
            EveryCheck.assertNoCheckErrors(report);
        }
    }
}
