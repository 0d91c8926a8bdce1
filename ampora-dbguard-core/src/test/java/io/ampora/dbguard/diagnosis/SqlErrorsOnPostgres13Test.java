package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.testing.WithPostgres;

/** The SQL error scenarios on PostgreSQL 13, the oldest supported. */
@WithPostgres(version = "13")
class SqlErrorsOnPostgres13Test extends SqlErrorScenarios {
}
