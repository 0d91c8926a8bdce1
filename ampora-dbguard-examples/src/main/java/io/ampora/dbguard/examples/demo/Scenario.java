package io.ampora.dbguard.examples.demo;

import io.ampora.dbguard.check.RunbookSection;
import io.ampora.dbguard.report.Report;

/**
 * One runbook failure, reproduced for real on the demo's embedded database and diagnosed by the guard.
 * A scenario sets the failure up, runs the guard, and cleans up after itself, whatever happens.
 */
public interface Scenario {

    /** @return the name used with {@code demo --scenario NAME} */
    String name();

    /** @return the runbook section it reproduces */
    RunbookSection runbook();

    /** @return the id of the check that should catch it */
    String expectedCheck();

    /** @return one line saying what is broken on purpose */
    String description();

    /**
     * Breaks the database, runs the guard and repairs it.
     *
     * @param env the demo environment
     * @return the guard's report on the broken database
     * @throws Exception when the scenario cannot be set up
     */
    Report reproduce(DemoEnvironment env) throws Exception;
}
