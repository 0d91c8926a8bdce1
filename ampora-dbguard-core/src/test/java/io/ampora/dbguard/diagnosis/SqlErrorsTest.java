package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.testing.WithPostgres;

/** The SQL error scenarios on the build's default PostgreSQL. */
@WithPostgres
class SqlErrorsTest extends SqlErrorScenarios {
}
