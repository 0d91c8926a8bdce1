package io.ampora.dbguard.flyway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.flyway.internal.Snapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The production row counts of the tables, exported from production ({@code doctor --export-table-sizes
 * FILE}) and given to {@link MigrationAssertions#productionSizes(TableSizes, long)}: a lock or rewrite
 * finding on a table smaller than the threshold is then a warning that states the table's size.
 *
 * @param rows estimated rows by table, {@code schema.table} as {@code format('%I.%I')} writes it
 */
public record TableSizes(Map<String, Long> rows) {

    /** Freezes and sorts the map. */
    public TableSizes {
        rows = Collections.unmodifiableMap(new TreeMap<>(rows));
    }

    /**
     * Reads the planner's row estimates ({@code pg_class.reltuples}): no lock, no scan.
     *
     * @param connection a session on the production database (read-only is enough)
     * @return the sizes of every user table whose statistics exist
     * @throws SQLException when the catalog cannot be read
     */
    public static TableSizes read(Connection connection) throws SQLException {
        Map<String, Long> rows = new TreeMap<>();
        try (PreparedStatement ps = connection.prepareStatement(Sql.load(TableSizes.class, "table-sizes"));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.put(rs.getString("name"), rs.getLong("row_estimate"));
            }
        }
        return new TableSizes(rows);
    }

    /**
     * The rows of a table: by its qualified name, else by its bare name when exactly one schema has it
     * (a test that migrates into {@code schemas("x")} still finds production's {@code public.t}).
     *
     * @param table qualified, as findings name it ({@code schema.table}; a trailing {@code .column} is dropped)
     * @return the estimate, if known
     */
    public Optional<Long> of(String table) {
        String[] parts = table.split("\\.");
        String qualified = parts.length >= 2 ? parts[0] + "." + parts[1] : table;
        Long exact = rows.get(qualified);
        if (exact != null) {
            return Optional.of(exact);
        }
        String bare = parts.length >= 2 ? parts[1] : table;
        var matches = rows.entrySet().stream().filter(e -> e.getKey().endsWith("." + bare)).toList();
        return matches.size() == 1 ? Optional.of(matches.get(0).getValue()) : Optional.empty();
    }

    /**
     * Writes the sizes as JSON: {@code {"format": 1, "tables": {"public.orders": 120000, ...}}}.
     *
     * @param file where to write
     */
    public void write(Path file) {
        ObjectNode root = Snapshots.MAPPER.createObjectNode();
        root.put("format", 1);
        ObjectNode tables = root.putObject("tables");
        rows.forEach(tables::put);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, Snapshots.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the table sizes to " + file, e);
        }
    }

    /**
     * Reads a file written by {@link #write(Path)}.
     *
     * @param file the file
     * @return the sizes
     * @throws IllegalArgumentException when it is not such a file
     */
    public static TableSizes load(Path file) {
        JsonNode root;
        try {
            root = Snapshots.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read table sizes from " + file + ": " + e.getMessage(), e);
        }
        if (root == null || root.path("format").asInt(-1) != 1 || !root.path("tables").isObject()) {
            throw new IllegalArgumentException(file + " is not a table sizes file: expected {\"format\": 1, \"tables\":"
                    + " {\"schema.table\": rows}}; export one with doctor --export-table-sizes FILE");
        }
        Map<String, Long> rows = new TreeMap<>();
        root.get("tables").fields().forEachRemaining(e -> rows.put(e.getKey(), e.getValue().asLong()));
        return new TableSizes(rows);
    }
}
