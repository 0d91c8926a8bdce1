package io.ampora.dbguard.sample;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.context.metrics.buffering.BufferingApplicationStartup;
import org.springframework.boot.context.metrics.buffering.StartupTimeline;
import org.springframework.core.metrics.StartupStep;

/**
 * For the benchmark ({@code -Dsample.startup-steps=true}): Boot's startup steps, each with its own time (its duration
 * minus its children's), summed per part and printed as {@code startup-part <name> <micros>} lines once the context
 * started. A part is a bean (by name) for bean creation and smart-initialization, else the step's name. The
 * benchmark compares the parts of the starts with and without the starter, so the added time is seen per part.
 */
final class StartupSteps {

    /** The line after the last part. */
    static final String END = "startup-parts-end";

    private StartupSteps() {
    }

    /** @return Boot's buffering recorder, big enough for the sample's steps */
    static BufferingApplicationStartup recorder() {
        return new BufferingApplicationStartup(20_000);
    }

    /**
     * Prints every part's own time.
     *
     * @param recorder the recorder the application started with
     */
    static void print(BufferingApplicationStartup recorder) {
        StartupTimeline timeline = recorder.getBufferedTimeline();
        Map<Long, Duration> childTime = new HashMap<>();
        for (StartupTimeline.TimelineEvent event : timeline.getEvents()) {
            Long parent = event.getStartupStep().getParentId();
            if (parent != null) {
                childTime.merge(parent, event.getDuration(), Duration::plus);
            }
        }
        Map<String, Long> parts = new TreeMap<>();
        for (StartupTimeline.TimelineEvent event : timeline.getEvents()) {
            StartupStep step = event.getStartupStep();
            Duration own = event.getDuration().minus(childTime.getOrDefault(step.getId(), Duration.ZERO));
            parts.merge(part(step), own.toNanos() / 1_000, Long::sum);
        }
        StringBuilder out = new StringBuilder();
        parts.forEach((name, micros) -> out.append("startup-part ").append(name).append(' ').append(micros).append('\n'));
        System.out.print(out);
        System.out.flush();
    }

    private static String part(StartupStep step) {
        for (StartupStep.Tag tag : step.getTags()) {
            if (tag.getKey().equals("beanName")) {
                return "bean:" + tag.getValue();
            }
        }
        return step.getName();
    }
}
