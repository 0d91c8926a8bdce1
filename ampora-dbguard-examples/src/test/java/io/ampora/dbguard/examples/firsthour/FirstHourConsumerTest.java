package io.ampora.dbguard.examples.firsthour;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.firsthour.FirstHourService;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19's acceptance run: {@link FirstHourService}, a consumer written from the README alone, runs in a
 * JVM of its own and reaches a PASS report, a tenant query, a leak report and a clean exit (status 0 with
 * {@code main} returning, so no thread was left running).
 */
class FirstHourConsumerTest {

    @Test
    void aServiceWrittenFromTheReadmeReachesPassTenantQueryLeakReportAndExitsCleanly(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("out.txt");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath(), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                FirstHourService.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();

        boolean exited = process.waitFor(180, TimeUnit.SECONDS);
        if (!exited) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);

        assertThat(exited).as("the JVM exited on its own within 180 s (a non-daemon thread keeps it alive):%n%s", out)
                .isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        assertThat(out).contains("STEP verifyOrFail passed before migrating")
                .contains("STEP report PASS")
                .contains("STEP /health/ready 200")
                .contains("STEP tenant query: 1 order(s) of tenant 11111111-1111-4111-8111-111111111111")
                .contains("STEP leak report: ")
                .containsPattern("Borrowed at:\\s+at com\\.example\\.firsthour\\.FirstHourService\\.main")
                .containsPattern("STEP listener heard \\[HELD_TOO_LONG(, RETURNED)?\\]")
                .contains("STEP main returns");
        assertThat(out).as("the leak was also logged by io.ampora.dbguard.hikari.LeakDetector (short name here)")
                .contains("WARN LeakDetector - Connection held for");
    }

    /** The test classpath, with surefire's manifest-only booter jar expanded. */
    private static String classpath() throws Exception {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(entry);
            if (entry.endsWith(".jar") && entry.contains("surefire")) {
                try (JarFile jar = new JarFile(entry)) {
                    String cp = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String url : cp.trim().split("\\s+")) {
                            entries.add(Path.of(Path.of(entry).getParent().toUri().resolve(url)).toString());
                        }
                    }
                }
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
