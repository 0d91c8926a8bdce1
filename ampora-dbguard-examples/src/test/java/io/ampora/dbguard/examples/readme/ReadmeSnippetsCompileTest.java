package io.ampora.dbguard.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the README compiles as written, against this module's test classpath
 * (every library module, HikariCP, Flyway, Micrometer, zonky, JUnit, jakarta.servlet-api), so the README
 * cannot drift from the code (issue 19).
 *
 * <ul>
 *   <li>A block starting with {@code package} or {@code import} is a compilation unit: compiled as is.</li>
 *   <li>Any other block is statements: wrapped into a method {@code void snippet() throws Exception} of a
 *       class extending {@link ReadmeSnippet} (which declares the README's placeholders, such as
 *       {@code dataSource} and {@code log}), after {@link #FIXED_IMPORTS} and the block's own import lines.</li>
 *   <li>A block preceded directly by the line {@code <!-- not compiled: REASON -->} is skipped (snippets for
 *       frameworks this module does not have, such as Spring Boot); the reason must be given.</li>
 * </ul>
 */
class ReadmeSnippetsCompileTest {

    /** The imports the README says its statement snippets assume. */
    static final List<String> FIXED_IMPORTS = List.of(
            "java.sql.*", "java.time.*", "java.util.*", "javax.sql.DataSource", "java.net.InetSocketAddress",
            "io.ampora.dbguard.*", "io.ampora.dbguard.check.*", "io.ampora.dbguard.report.*",
            "io.ampora.dbguard.monitor.*", "io.ampora.dbguard.health.*", "io.ampora.dbguard.diagnosis.*",
            "io.ampora.dbguard.hikari.*",
            "io.ampora.dbguard.rls.*", "io.ampora.dbguard.flyway.*", "io.ampora.dbguard.micrometer.*");

    private static final Pattern SKIP = Pattern.compile("<!-- not compiled: (.*\\S.*) -->");
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "(?m)^public\\s+(?:final\\s+|abstract\\s+)*(?:class|interface|record|enum)\\s+(\\w+)");

    /** A fenced block: the README line of its first code line, its text, and why it is skipped (or null). */
    record Block(int line, String code, String skipReason) {
    }

    @Test
    void everyJavaBlockOfTheReadmeCompilesAsWritten(@TempDir Path out) throws IOException {
        List<Block> blocks = javaBlocks(Files.readAllLines(readme(), StandardCharsets.UTF_8));
        List<String> failures = new ArrayList<>();
        int compiled = 0;
        for (Block block : blocks) {
            if (block.skipReason() != null) {
                continue;
            }
            compiled++;
            failures.addAll(compile(block, out));
        }

        assertThat(compiled).as("java blocks compiled out of %d", blocks.size()).isGreaterThanOrEqualTo(6);
        assertThat(failures).as("README.md java blocks that do not compile").isEmpty();
    }

    @Test
    void aBrokenSnippetIsReportedWithItsReadmeLine(@TempDir Path out) throws IOException {
        List<Block> blocks = javaBlocks(List.of("text", "```java", "DbGuard guard = DbGuard.builder().dataSource(dataSource).build();",
                "guard.verifyOrFail(true);", "```", "<!-- not compiled: needs Spring -->", "```java", "@Bean X x() {}", "```"));

        assertThat(blocks).hasSize(2);
        assertThat(blocks.get(1).skipReason()).isEqualTo("needs Spring");
        assertThat(compile(blocks.get(0), out)).singleElement().asString()
                .startsWith("README.md line 4:").contains("verifyOrFail");
    }

    static List<Block> javaBlocks(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```java")) {
                continue;
            }
            String skip = null;
            if (i > 0) {
                Matcher m = SKIP.matcher(lines.get(i - 1).strip());
                skip = m.matches() ? m.group(1).strip() : null;
            }
            StringBuilder code = new StringBuilder();
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).strip().equals("```")) {
                code.append(lines.get(j)).append('\n');
                j++;
            }
            blocks.add(new Block(i + 2, code.toString(), skip));
            i = j;
        }
        return blocks;
    }

    static List<String> compile(Block block, Path out) throws IOException {
        String firstCode = block.code().lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("//")).findFirst().orElse("");
        boolean unit = firstCode.startsWith("package ") || firstCode.startsWith("import ");
        String className;
        String source;
        int offset; // README line = block.line() + (diagnostic line - 1) - offset
        if (unit) {
            Matcher m = PUBLIC_TYPE.matcher(block.code());
            className = m.find() ? m.group(1) : "ReadmeUnitAtLine" + block.line();
            source = block.code();
            offset = 0;
        } else {
            className = "ReadmeSnippetAtLine" + block.line();
            StringBuilder head = new StringBuilder();
            FIXED_IMPORTS.forEach(i -> head.append("import ").append(i).append(";\n"));
            StringBuilder body = new StringBuilder();
            for (String line : block.code().split("\n", -1)) {
                if (line.startsWith("import ")) {
                    head.append(line).append('\n');
                    body.append('\n'); // keep line numbers
                } else {
                    body.append(line).append('\n');
                }
            }
            head.append("class ").append(className).append(" extends ").append(ReadmeSnippet.class.getName())
                    .append(" { void snippet() throws Exception {\n");
            offset = (int) head.chars().filter(c -> c == '\n').count();
            source = head + body.toString() + "}}\n";
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            Path dir = Files.createDirectories(out.resolve("line" + block.line()));
            List<String> options = List.of("-classpath", classpath(), "-d", dir.toString(), "-proc:none",
                    "-Xlint:none", "-nowarn");
            JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + className + ".java"),
                    JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            };
            javac.getTask(null, files, diagnostics, options, null, List.of(file)).call();
        }
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                long line = block.line() + (d.getLineNumber() - 1) - offset;
                errors.add("README.md line " + line + ": " + d.getMessage(Locale.ROOT)
                        + " (block starting at line " + block.line() + ")");
            }
        }
        return errors;
    }

    /** The test classpath, with surefire's manifest-only booter jar expanded. */
    private static String classpath() throws IOException {
        Set<String> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(entry);
            if (entry.endsWith(".jar") && entry.contains("surefire")) {
                try (JarFile jar = new JarFile(entry)) {
                    Manifest manifest = jar.getManifest();
                    String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                    if (classPath != null) {
                        for (String url : classPath.trim().split("\\s+")) {
                            entries.add(Path.of(Path.of(entry).getParent().toUri().resolve(url)).toString());
                        }
                    }
                }
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("README.md");
            if (Files.isRegularFile(candidate) && Files.isDirectory(dir.resolve("ampora-dbguard-examples"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("README.md of the project not found above " + Path.of("").toAbsolutePath());
    }
}
