package io.ampora.dbguard.testing;

import io.ampora.dbguard.check.DatabaseCheck;
import io.ampora.dbguard.check.RunbookSection;

/**
 * A test's own check: an id and a description given by the test, outside the runbook; the test writes only
 * {@link #run}. One place for the boilerplate the runner, session and monitor tests' checks shared.
 */
public abstract class NamedTestCheck implements DatabaseCheck {

    private final String id;
    private final String description;

    /**
     * @param id          the check's id
     * @param description what it does, for the report
     */
    protected NamedTestCheck(String id, String description) {
        this.id = id;
        this.description = description;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public RunbookSection runbook() {
        return RunbookSection.BEYOND_RUNBOOK;
    }

    @Override
    public String description() {
        return description;
    }
}
