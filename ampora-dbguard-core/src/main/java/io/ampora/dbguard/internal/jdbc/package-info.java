/**
 * The one JDBC decorator layer of the library, for its sibling modules only (free to change): a
 * {@link io.ampora.dbguard.internal.jdbc.LayeredConnection} and the statements, result sets and metadata reached
 * from it, with {@link io.ampora.dbguard.internal.jdbc.JdbcHook}s the modules implement. See
 * {@code docs/design/jdbc-layer.md}.
 */
package io.ampora.dbguard.internal.jdbc;
