package io.ampora.dbguard.diagnosis;

/** The standby's errors on PostgreSQL 18, the newest supported. */
class SqlErrorsOnAStandbyOfPostgres18Test extends StandbyErrorScenarios {

    @Override
    String version() {
        return "18";
    }
}
