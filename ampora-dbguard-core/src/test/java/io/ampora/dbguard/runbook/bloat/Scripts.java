package io.ampora.dbguard.runbook.bloat;

import io.ampora.dbguard.testing.TestDatabase;

/** Runs a script statement by statement (VACUUM cannot run inside the driver's multi-statement pipeline). */
final class Scripts {

    private Scripts() {
    }

    static void run(TestDatabase db, String script) throws Exception {
        for (String statement : script.split(";\\s*\\n")) {
            if (!statement.isBlank()) {
                db.execute(statement);
            }
        }
    }
}
