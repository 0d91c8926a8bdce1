package io.ampora.dbguard.diagnosis;

/** The standby's errors on PostgreSQL 13, the oldest supported. */
class SqlErrorsOnAStandbyOfPostgres13Test extends StandbyErrorScenarios {

    @Override
    String version() {
        return "13";
    }
}
