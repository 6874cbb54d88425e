package io.mechanize.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void quantilesAreValuesObservedByNearestRank() {
        List<Integer> values = List.of(5, 1, 4, 2, 3, 10, 6, 9, 7, 8);
        assertThat(Stats.quantile(values, 0.5)).isEqualTo(5.0);
        assertThat(Stats.quantile(values, 0.95)).isEqualTo(10.0);
        assertThat(Stats.quantile(values, 0.0)).isEqualTo(1.0);
        assertThat(Stats.quantile(List.<Integer>of(), 0.5)).isNaN();
    }

    @Test
    void aMeanOfNoMeasurementIsNullNotZero() {
        // the engine's stats can come back without memory for every container (seen with 1000
        // containers on an engine whose cgroup hierarchy had changed): the bench must not print 0 MB
        assertThat(Stats.meanMib(List.of())).isNull();
        assertThat(Stats.meanMib(List.of(2L * 1048576, 3L * 1048576))).isEqualTo(2.5);
    }
}
