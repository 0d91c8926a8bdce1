package io.ampora.dbguard.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The benchmark's confidence interval for the median of the per-pair differences: the order statistics the sign
 * test's binomial bounds give (tabulated values), none below 6 pairs.
 */
class StartupBenchmarkTest {

    @Test
    void orderStatisticsBoundingTheMedianWithAtLeast95PercentCoverage() {
        assertThat(StartupBenchmark.orderStatistic(5)).as("5 pairs: even min..max covers only 93.8 %").isZero();
        assertThat(StartupBenchmark.orderStatistic(6)).isEqualTo(1);
        assertThat(StartupBenchmark.orderStatistic(10)).as("10 pairs: 2nd and 9th").isEqualTo(2);
        assertThat(StartupBenchmark.orderStatistic(20)).as("20 pairs: 6th and 15th").isEqualTo(6);
        assertThat(StartupBenchmark.orderStatistic(30)).as("30 pairs: 10th and 21st").isEqualTo(10);
        assertThat(1 - 2 * StartupBenchmark.binomialCdf(10, 1)).isCloseTo(0.9785, within(1e-4));
        assertThat(1 - 2 * StartupBenchmark.binomialCdf(30, 9)).isCloseTo(0.9572, within(1e-4));
    }
}
