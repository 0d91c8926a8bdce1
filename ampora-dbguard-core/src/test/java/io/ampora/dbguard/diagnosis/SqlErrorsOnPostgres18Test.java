package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.testing.WithPostgres;

/** The SQL error scenarios on PostgreSQL 18, the newest supported. */
@WithPostgres(version = "18")
class SqlErrorsOnPostgres18Test extends SqlErrorScenarios {
}
