package io.ampora.dbguard.diagnosis;

import io.ampora.dbguard.testing.PostgresServers;

/** The standby's errors on the build's default PostgreSQL. */
class SqlErrorsOnAStandbyTest extends StandbyErrorScenarios {

    @Override
    String version() {
        return PostgresServers.defaultMajor();
    }
}
