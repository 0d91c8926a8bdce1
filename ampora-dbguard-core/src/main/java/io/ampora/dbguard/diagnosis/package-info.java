/**
 * Explains the application's own SQL errors the way the runbook reads them: "read the exception message
 * literally: each has one obvious cause". {@link io.ampora.dbguard.diagnosis.SqlErrors#explain(Throwable)} turns a
 * deadlock, a lock or statement timeout, a session the server ended, a read-only transaction, a row-level
 * security refusal or a schema behind the code into a {@link io.ampora.dbguard.diagnosis.SqlErrorDiagnosis}: the
 * cause, what it means, the fix with the check that shows the evidence, and whether to retry. Public API; it needs
 * no database connection.
 */
package io.ampora.dbguard.diagnosis;
