package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class CpuSampleTest {
    private static final Instant T0 = Instant.parse("2026-11-27T12:00:00.250000000Z");

    @Test
    void cpuPerSecondIsTheCpuBetweenTwoSamplesOverTheTimeTheEngineReadThem() {
        var before = new EngineBaselines.CpuSample(1_000_000_000L, T0);
        // 30 ms of CPU over 6 s as the engine timed its reads, not as the caller's clock saw the calls
        var after = new EngineBaselines.CpuSample(1_030_000_000L, T0.plusSeconds(6));
        assertThat(after.msPerSecondSince(before)).isEqualTo(5.0);
    }

    @Test
    void twoSamplesReadAtTheSameMomentGiveNoRate() {
        var sample = new EngineBaselines.CpuSample(1_000_000_000L, T0);
        assertThatThrownBy(() -> sample.msPerSecondSince(sample))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no time between them");
    }
}
