package io.ampora.dbguard.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.examples.doctor.Doctor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's check table is the page users read to learn what the guard looks at; {@code doctor
 * --list-checks} is what the code really ships. A check added without its README row (or a row left for a
 * check that no longer exists) fails here, naming the difference.
 */
class ReadmeCheckTableTest {

    private static final Pattern TABLE_ROW_ID = Pattern.compile("^\\| `([a-z0-9-]+)` \\|");
    private static final Pattern LISTED_ID = Pattern.compile("^([a-z0-9-]+)\\s");
    private static final Pattern CODE_ID = Pattern.compile("`([a-z0-9-]+)`");

    @Test
    void readmeCheckTableListsExactlyTheChecksTheDoctorLists() throws IOException {
        Set<String> documented = checkTableIds(readme());
        Set<String> shipped = doctorListedIds();

        assertThat(shipped).as("doctor --list-checks").isNotEmpty();
        assertThat(documented)
                .as("check ids in README.md's '## Checks' table vs doctor --list-checks; add or remove the README row")
                .containsExactlyInAnyOrderElementsOf(shipped);
    }

    @Test
    void everyShippedCheckAppearsInTheRunbookCoverageTable() throws IOException {
        Set<String> covered = coverageTableIds(readme());

        assertThat(covered)
                .as("check ids in README.md's '## Runbook coverage' table; every check belongs to a runbook row")
                .containsAll(doctorListedIds());
    }

    private static List<String> readme() throws IOException {
        Path readme = Path.of("..", "README.md");
        return Files.readAllLines(readme);
    }

    private static Set<String> doctorListedIds() {
        StringWriter out = new StringWriter();
        int exit = Doctor.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "--list-checks");
        assertThat(exit).as("doctor --list-checks exit code").isZero();
        Set<String> ids = new TreeSet<>();
        for (String line : out.toString().split("\\R")) {
            Matcher m = LISTED_ID.matcher(line);
            if (m.find()) {
                ids.add(m.group(1));
            }
        }
        return ids;
    }

    private static Set<String> checkTableIds(List<String> lines) {
        Set<String> ids = new TreeSet<>();
        for (String line : section(lines, "## Checks")) {
            Matcher m = TABLE_ROW_ID.matcher(line);
            if (m.find()) {
                ids.add(m.group(1));
            }
        }
        return ids;
    }

    private static Set<String> coverageTableIds(List<String> lines) {
        Set<String> ids = new TreeSet<>();
        for (String line : section(lines, "## Runbook coverage")) {
            if (!line.startsWith("|")) {
                continue;
            }
            String[] cells = line.split("\\|");
            if (cells.length > 3) {
                Matcher m = CODE_ID.matcher(cells[3]);
                while (m.find()) {
                    ids.add(m.group(1));
                }
            }
        }
        return ids;
    }

    private static List<String> section(List<String> lines, String heading) {
        int start = lines.indexOf(heading);
        assertThat(start).as("README.md has a '%s' section", heading).isNotNegative();
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).startsWith("## ")) {
            end++;
        }
        return lines.subList(start + 1, end);
    }
}
