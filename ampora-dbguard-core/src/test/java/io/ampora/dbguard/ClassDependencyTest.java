package io.ampora.dbguard;

import static org.assertj.core.api.Assertions.assertThat;

import io.ampora.dbguard.check.CheckSetting;
import io.ampora.dbguard.check.SettingOrder;
import io.ampora.dbguard.internal.SettingValues;
import io.ampora.dbguard.monitor.DbGuardMonitor;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The class-level cycles issue 13 broke stay broken: read from the compiled classes' constant pools (every
 * class a class file names, in code, signatures and descriptors), so a new import, field or call that
 * brings a cycle back fails here.
 */
class ClassDependencyTest {

    @Test
    void settingValuesDoesNotDependOnTheCheckSettingsItParses() throws Exception {
        assertThat(dependencies(SettingValues.class)).doesNotContain(CheckSetting.class.getName(), SettingOrder.class.getName());
        assertThat(dependencies(CheckSetting.class)).contains(SettingValues.class.getName()); // the direction kept
    }

    @Test
    void monitorPackageDoesNotDependOnDbGuard() throws Exception {
        Path dir = classDirectory(DbGuardMonitor.class);
        Set<String> offenders = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    if (classNames(in).contains(DbGuard.class.getName())) {
                        offenders.add(file.getFileName().toString());
                    }
                }
            }
        }
        assertThat(offenders).as("monitor classes naming DbGuard (use MonitoredGuard)").isEmpty();
        assertThat(dependencies(DbGuard.class)).contains(DbGuardMonitor.class.getName()); // the direction kept
    }

    @Test
    void readerSeesAKnownDependency() throws Exception {
        // guards the reader itself: a parser that found nothing would make the tests above pass vacuously
        assertThat(dependencies(DbGuardMonitor.class)).contains("io.ampora.dbguard.monitor.MonitoredGuard",
                "io.ampora.dbguard.report.Report");
    }

    private static Set<String> dependencies(Class<?> type) throws IOException {
        Set<String> all = new TreeSet<>();
        String prefix = type.getSimpleName();
        Path dir;
        try {
            dir = classDirectory(type);
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        // the class and its nested classes (Builder, Type, lambdas' holders)
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> {
                String n = f.getFileName().toString();
                return n.equals(prefix + ".class") || n.startsWith(prefix + "$");
            }).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    all.addAll(classNames(in));
                }
            }
        }
        all.remove(type.getName());
        return all;
    }

    private static Path classDirectory(Class<?> type) throws URISyntaxException {
        return Path.of(type.getResource(type.getSimpleName() + ".class").toURI()).getParent();
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z_$][\\w$]*(?:/[\\w$]+)+");

    /** Top-level class names found in a class file's constant pool (UTF-8 entries: class names and descriptors). */
    private static Set<String> classNames(InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        Set<String> names = new TreeSet<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> {
                    Matcher m = NAME.matcher(in.readUTF());
                    while (m.find()) {
                        String n = m.group().replace('/', '.');
                        int nested = n.indexOf('$');
                        names.add(nested < 0 ? n : n.substring(0, nested));
                    }
                }
                case 7, 8, 16, 19, 20 -> in.readUnsignedShort();
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++;
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        return names;
    }
}
