package io.ampora.dbguard.hikari.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the frames a developer needs in a borrow-site stack: drops this library's own frames (the pool's and
 * the query timer's and tenant binding's decorators stacked over it), HikariCP,
 * the JDK's reflection and method handles, and the proxies of common frameworks (Spring AOP and CGLIB,
 * ByteBuddy, javassist, JDK dynamic proxies).
 */
public final class StackFilter {

    private static final String[] NOISE = {
        "io.ampora.dbguard.hikari.internal.", "io.ampora.dbguard.hikari.GuardedPool$",
        "com.zaxxer.hikari.", "java.lang.reflect.", "jdk.internal.reflect.", "sun.reflect.", "java.lang.invoke.",
        "jdk.proxy", "com.sun.proxy.", "org.springframework.aop.", "org.springframework.cglib.",
        "org.springframework.jdbc.datasource.", "org.springframework.transaction.interceptor.",
        "net.bytebuddy.", "javassist.", "org.hibernate.engine.jdbc.connections.",
        // the JDBC layer and the sibling modules' DataSources and hooks on it (the Spring Boot starter's order:
        // pool, timer, tenant binding)
        "io.ampora.dbguard.internal.jdbc.", "io.ampora.dbguard.micrometer.TimedDataSource",
        "io.ampora.dbguard.micrometer.StatementTimer", "io.ampora.dbguard.rls.TenantDataSource",
        "io.ampora.dbguard.rls.internal.",
    };

    private StackFilter() {
    }

    /**
     * Filters a borrow-site stack.
     *
     * @param stack     the raw stack
     * @param maxFrames the most frames to keep
     * @return the application frames, outermost last
     */
    public static List<StackTraceElement> application(StackTraceElement[] stack, int maxFrames) {
        List<StackTraceElement> kept = new ArrayList<>(Math.min(stack.length, maxFrames));
        for (StackTraceElement e : stack) {
            if (kept.size() >= maxFrames) {
                break;
            }
            if (!noise(e.getClassName())) {
                kept.add(e);
            }
        }
        return kept;
    }

    /**
     * Cuts a holder-thread stack to its top frames, keeping JDK frames: a socket read there is the evidence.
     *
     * @param stack     the raw stack
     * @param maxFrames the most frames to keep
     * @return the top frames
     */
    public static List<StackTraceElement> top(StackTraceElement[] stack, int maxFrames) {
        return List.of(stack).subList(0, Math.min(stack.length, maxFrames));
    }

    private static boolean noise(String className) {
        if (className.contains("$$SpringCGLIB$$") || className.contains("$$EnhancerBySpringCGLIB$$")
                || className.contains("$HibernateProxy$") || className.startsWith("$Proxy")) {
            return true;
        }
        if (className.equals("io.ampora.dbguard.hikari.GuardedPool")) {
            return true;
        }
        for (String prefix : NOISE) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
