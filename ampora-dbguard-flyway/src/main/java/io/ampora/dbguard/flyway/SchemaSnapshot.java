package io.ampora.dbguard.flyway;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ampora.dbguard.check.Sql;
import io.ampora.dbguard.flyway.internal.Snapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * The structure of a database as migrations left it: tables, columns (type, nullability, default,
 * identity), constraints, indexes, sequences, row level security flags and policies, triggers, views,
 * functions and enum types, read from the catalogs.
 *
 * <p>A snapshot is deterministic (objects sorted by type and name, attributes by key, identifiers quoted
 * the way PostgreSQL quotes them), so it can be committed as JSON ({@link #toJson()}, {@link #write(Path)})
 * and compared with {@link #diff(SchemaSnapshot)}: a test asserts that migrations build exactly the committed
 * schema, and the {@code schema-drift} check tells what was changed by hand in a live database. Objects
 * owned by an extension and the Flyway history table are left out.
 *
 * @param objects the objects, sorted
 */
public record SchemaSnapshot(List<SchemaObject> objects) {

    /** The version of the JSON layout, written into every file. */
    public static final int FORMAT = 1;

    /** Sorts and freezes the objects. */
    public SchemaSnapshot {
        List<SchemaObject> sorted = new ArrayList<>(Objects.requireNonNull(objects, "objects"));
        sorted.sort(Comparator.comparing(SchemaObject::type).thenComparing(SchemaObject::name));
        objects = Collections.unmodifiableList(sorted);
    }

    /**
     * One object of a schema and its attributes.
     *
     * @param type       {@code table}, {@code view}, {@code column}, {@code constraint}, {@code index},
     *                   {@code policy}, {@code trigger}, {@code sequence}, {@code function} or {@code type}
     * @param name       the qualified, quoted name: {@code public.orders}, {@code public.orders.total},
     *                   {@code "My Schema"."Order ""Items"""}, {@code public.f(integer)}
     * @param attributes what describes it, e.g. {@code type=numeric(12,2)}, {@code notNull=true}; sorted by key
     */
    public record SchemaObject(String type, String name, SortedMap<String, String> attributes) {

        /** Validates and freezes the attributes. */
        public SchemaObject {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(name, "name");
            attributes = Collections.unmodifiableSortedMap(new TreeMap<>(attributes == null ? Map.of() : attributes));
        }

        /** @return {@code "table public.orders"}: type and name, as messages show it */
        public String label() {
            return type + " " + name;
        }
    }

    /**
     * Reads the snapshot of every user schema, leaving out {@code flyway_schema_history}.
     *
     * @param dataSource the database
     * @return the snapshot
     * @throws SQLException when the catalogs cannot be read
     */
    public static SchemaSnapshot read(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return read(c, List.of(), FlywayGuard.DEFAULT_TABLE);
        }
    }

    /**
     * Reads the snapshot through an open connection; only reads, so a read-only session is enough.
     *
     * @param connection   the session
     * @param schemas      the schemas to read; empty for every user schema (not {@code pg_*} nor
     *                     {@code information_schema})
     * @param historyTable the name of the Flyway history table to leave out
     * @return the snapshot
     * @throws SQLException when the catalogs cannot be read
     */
    public static SchemaSnapshot read(Connection connection, List<String> schemas, String historyTable)
            throws SQLException {
        Map<String, SchemaObject> byKey = new TreeMap<>();
        Map<String, SortedMap<String, String>> attrs = new TreeMap<>();
        try (PreparedStatement ps = connection.prepareStatement(Sql.load(Snapshots.class, "schema-snapshot"))) {
            Array array = schemas.isEmpty() ? null : connection.createArrayOf("text", schemas.toArray());
            ps.setArray(1, array);
            ps.setArray(2, array);
            ps.setString(3, historyTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String key = rs.getString("kind") + "\u0000" + rs.getString("name");
                    attrs.computeIfAbsent(key, k -> new TreeMap<>()).put(rs.getString("key"), rs.getString("value"));
                }
            }
        }
        attrs.forEach((key, values) -> {
            int cut = key.indexOf('\u0000');
            byKey.put(key, new SchemaObject(key.substring(0, cut), key.substring(cut + 1), values));
        });
        return new SchemaSnapshot(new ArrayList<>(byKey.values()));
    }

    /**
     * Compares this snapshot, taken as the expected one, with another.
     *
     * @param actual the schema found
     * @return what {@code actual} added, removed or changed relative to this one
     */
    public SchemaDiff diff(SchemaSnapshot actual) {
        return SchemaDiff.between(this, actual);
    }

    /**
     * Looks an object up.
     *
     * @param type the object type, e.g. {@code table}
     * @param name its qualified, quoted name
     * @return the object, or null
     */
    public SchemaObject find(String type, String name) {
        for (SchemaObject o : objects) {
            if (o.type().equals(type) && o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    /**
     * Serialises the snapshot to stable, pretty-printed JSON with {@code \n} line ends, suited to a
     * committed file whose diffs review well.
     *
     * @return the JSON text, ending with a newline
     */
    public String toJson() {
        ObjectNode root = Snapshots.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        ArrayNode list = root.putArray("objects");
        for (SchemaObject o : objects) {
            ObjectNode node = list.addObject();
            node.put("type", o.type());
            node.put("name", o.name());
            ObjectNode a = node.putObject("attributes");
            o.attributes().forEach(a::put);
        }
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return Snapshots.MAPPER.writer(printer).writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise a schema snapshot", e);
        }
    }

    /**
     * Parses JSON written by {@link #toJson()}.
     *
     * @param json the text
     * @return the snapshot
     * @throws IllegalArgumentException when the text is not a snapshot of a known format
     */
    public static SchemaSnapshot fromJson(String json) {
        JsonNode root;
        try {
            root = Snapshots.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a schema snapshot: invalid JSON (" + e.getMessage() + ")", e);
        }
        if (root == null || root.path("format").asInt(-1) != FORMAT || !root.path("objects").isArray()) {
            throw new IllegalArgumentException("not a schema snapshot of format " + FORMAT
                    + ": expected {\"format\": 1, \"objects\": [...]}; regenerate it with SchemaSnapshot.write(path)");
        }
        List<SchemaObject> objects = new ArrayList<>();
        for (JsonNode node : root.get("objects")) {
            SortedMap<String, String> a = new TreeMap<>();
            node.path("attributes").fields().forEachRemaining(e -> a.put(e.getKey(), e.getValue().asText()));
            objects.add(new SchemaObject(node.path("type").asText(), node.path("name").asText(), a));
        }
        return new SchemaSnapshot(objects);
    }

    /**
     * Reads a snapshot file.
     *
     * @param file a file written by {@link #write(Path)}
     * @return the snapshot
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when it is not a snapshot
     */
    public static SchemaSnapshot load(Path file) {
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schema snapshot " + file.toAbsolutePath(), e);
        }
    }

    /**
     * Reads a snapshot shipped as a classpath resource.
     *
     * @param name the resource name, e.g. {@code db/schema.json}
     * @return the snapshot
     * @throws IllegalArgumentException when the resource is missing or not a snapshot
     */
    public static SchemaSnapshot loadResource(String name) {
        java.net.URL url = resourceUrl(name).orElseThrow(() -> new IllegalArgumentException(
                "no schema snapshot resource " + name + " on the classpath"));
        try (java.io.InputStream in = url.openStream()) {
            return fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schema snapshot resource " + name, e);
        }
    }

    /**
     * Finds a snapshot resource the way {@link #loadResource(String)} reads it: through the thread's context
     * class loader, then this library's.
     *
     * @param name the resource name, e.g. {@code db/schema.json} (a leading {@code /} is ignored)
     * @return where it is, empty when neither class loader has it
     */
    public static Optional<java.net.URL> resourceUrl(String name) {
        String relative = name.startsWith("/") ? name.substring(1) : name;
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        java.net.URL url = context == null ? null : context.getResource(relative);
        if (url == null) {
            url = SchemaSnapshot.class.getClassLoader().getResource(relative);
        }
        return Optional.ofNullable(url);
    }

    /**
     * Writes the snapshot as JSON, creating parent directories.
     *
     * @param file where to write
     * @throws UncheckedIOException when it cannot be written
     */
    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, toJson(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the schema snapshot " + file.toAbsolutePath(), e);
        }
    }
}
