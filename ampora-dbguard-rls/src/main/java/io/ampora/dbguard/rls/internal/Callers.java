package io.ampora.dbguard.rls.internal;

import java.util.List;
import java.util.Optional;

/** Names the application code that ran a statement: the first stack frame outside JDBC, pools and frameworks. */
final class Callers {

    private static final List<String> LIBRARIES = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.",
            "io.ampora.dbguard.rls.internal.", "io.ampora.dbguard.internal.jdbc.", "io.ampora.dbguard.hikari.internal.",
            "io.ampora.dbguard.hikari.GuardedPool", "io.ampora.dbguard.micrometer.StatementTimer",
            "io.ampora.dbguard.micrometer.TimedDataSource", "org.postgresql.", "com.zaxxer.hikari.", "org.apache.commons.dbcp",
            "org.apache.tomcat.jdbc.", "com.mchange.", "org.springframework.", "org.hibernate.", "org.jooq.",
            "org.jdbi.", "org.apache.ibatis.", "org.mybatis.", "org.flywaydb.", "liquibase.", "net.ttddyy.");

    private Callers() {
    }

    static String find(List<String> extraLibraries) {
        Optional<StackWalker.StackFrame> frame = StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !isLibrary(f.getClassName(), extraLibraries))
                .findFirst());
        return frame.map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":"
                + f.getLineNumber() + ")").orElse("(no application frame on the stack)");
    }

    private static boolean isLibrary(String className, List<String> extra) {
        if (className.contains("$Proxy")) {
            return true;
        }
        for (String prefix : LIBRARIES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        for (String prefix : extra) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
