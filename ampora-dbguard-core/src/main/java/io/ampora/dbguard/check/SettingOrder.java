package io.ampora.dbguard.check;


import java.util.EnumSet;
import java.util.Objects;

/**
 * Declares that a check's warn threshold and fail threshold are ordered, so that a configuration which
 * would make WARN unreachable or invert the meaning of the two is refused when the guard is built.
 *
 * <p>A check returns its pairs from {@link DatabaseCheck#settingOrders()}. Most thresholds grow with
 * the trouble ({@code warnAfter} / {@code failAfter}, {@code warnPercent} / {@code failPercent}):
 * declare them with {@link #higherIsWorse}, which requires warn &le; fail. A threshold on what is left
 * (free disk space, remaining headroom) shrinks with the trouble: declare it with
 * {@link #lowerIsWorse}, which requires warn &ge; fail. Equal values are allowed: the check then
 * reports FAIL from that value on and never WARN.
 *
 * <p>The rule applied at {@code DbGuard.builder()...build()} (and so by the doctor's {@code --set}):
 * <ul>
 *   <li>both values set explicitly and in the wrong order: the build fails with a
 *       {@code DbGuardConfigurationException} naming the check, both settings, both values and the fix;</li>
 *   <li>only one value set explicitly and it crosses the other's default (say only
 *       {@code failAfter=1s} while {@code warnAfter} defaults to 5s): the build succeeds and the other
 *       setting follows the explicit one (here {@code warnAfter} becomes 1s), so that the explicit value
 *       keeps its meaning ("FAIL from 1s") and WARN is never left beyond FAIL;</li>
 *   <li>nothing set, or the values already in order: nothing changes.</li>
 * </ul>
 *
 * @param warn      the setting from which the check warns
 * @param fail      the setting from which the check fails; same type as {@code warn}
 * @param direction whether a higher or a lower measured value is the worse one
 * @param <T>       the Java type of both values
 */
public record SettingOrder<T extends Comparable<? super T>>(CheckSetting<T> warn, CheckSetting<T> fail,
                                                             Direction direction) {

    /** Which way the measured value goes when things get worse. */
    public enum Direction {
        /** A higher value is worse (a longer wait, a fuller pool): warn must not be above fail. */
        HIGHER_IS_WORSE,
        /** A lower value is worse (less free space, less headroom): warn must not be below fail. */
        LOWER_IS_WORSE
    }

    private static final EnumSet<CheckSetting.Type> ORDERED_TYPES = EnumSet.of(CheckSetting.Type.DURATION,
            CheckSetting.Type.SIZE, CheckSetting.Type.PERCENT, CheckSetting.Type.COUNT);

    /** Validates the declaration: two different settings of the same ordered type. */
    public SettingOrder {
        Objects.requireNonNull(warn, "warn");
        Objects.requireNonNull(fail, "fail");
        Objects.requireNonNull(direction, "direction");
        if (warn.name().equals(fail.name())) {
            throw new IllegalArgumentException("a setting cannot be ordered against itself: " + warn.name());
        }
        if (warn.type() != fail.type() || !ORDERED_TYPES.contains(warn.type())) {
            throw new IllegalArgumentException("only two settings of the same type among " + ORDERED_TYPES
                    + " can be ordered; " + warn.name() + " is " + warn.type() + ", " + fail.name() + " is " + fail.type());
        }
    }

    /**
     * Declares a pair where a higher measured value is worse: {@code warn <= fail}.
     *
     * @param warn the warn threshold
     * @param fail the fail threshold
     * @param <T>  the value type
     * @return the order
     */
    public static <T extends Comparable<? super T>> SettingOrder<T> higherIsWorse(CheckSetting<T> warn,
                                                                                CheckSetting<T> fail) {
        return new SettingOrder<>(warn, fail, Direction.HIGHER_IS_WORSE);
    }

    /**
     * Declares a pair where a lower measured value is worse (free space, headroom): {@code warn >= fail}.
     *
     * @param warn the warn threshold
     * @param fail the fail threshold
     * @param <T>  the value type
     * @return the order
     */
    public static <T extends Comparable<? super T>> SettingOrder<T> lowerIsWorse(CheckSetting<T> warn,
                                                                               CheckSetting<T> fail) {
        return new SettingOrder<>(warn, fail, Direction.LOWER_IS_WORSE);
    }

    /**
     * Whether two values of this pair are in order; equal values are.
     *
     * @param warnValue a value of {@link #warn()} (a {@code T}, or text in the setting's form)
     * @param failValue a value of {@link #fail()}
     * @return {@code true} when WARN can still be reported before FAIL
     * @throws IllegalArgumentException when a value does not fit its setting
     */
    public boolean inOrder(Object warnValue, Object failValue) {
        int c = warn.convert(warnValue).compareTo(fail.convert(failValue));
        return direction == Direction.HIGHER_IS_WORSE ? c <= 0 : c >= 0;
    }

    /**
     * Whether the defaults of this pair are in order; a check must never ship them inverted.
     *
     * @return {@code true} when the defaults are in order
     */
    public boolean defaultsInOrder() {
        return inOrder(warn.defaultValue(), fail.defaultValue());
    }

    /**
     * The message for two explicit values in the wrong order: check, settings, values and the fix.
     *
     * @param checkId   the check that declares this pair
     * @param warnValue the configured warn value
     * @param failValue the configured fail value
     * @return e.g. "warnAfter (10s) must not be above failAfter (5s) for check blocking-locks: lower
     *         warnAfter or raise failAfter"
     */
    public String violation(String checkId, Object warnValue, Object failValue) {
        boolean higher = direction == Direction.HIGHER_IS_WORSE;
        return warn.name() + " (" + display(warn.convert(warnValue)) + ") must not be " + (higher ? "above " : "below ")
                + fail.name() + " (" + display(fail.convert(failValue)) + ") for check " + checkId + ": "
                + (higher ? "lower " : "raise ") + warn.name() + " or " + (higher ? "raise " : "lower ") + fail.name()
                + "; as configured the check could never warn before it fails";
    }

    /**
     * Shows a value the way a user would type it: {@code 5s}, {@code 1500ms}, {@code 512MB}, {@code 80}.
     *
     * @param value a value of this pair's type
     * @return the text
     */
    public String display(Object value) {
        return warn.type().display(value);
    }

    @Override
    public String toString() {
        return warn.name() + (direction == Direction.HIGHER_IS_WORSE ? " <= " : " >= ") + fail.name();
    }
}
