package io.mechanize.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

    @Test
    void aWorkspacesHelperExitsAfterTwoIdleMinutesUnlessToldOtherwise() {
        WorkerConfig defaults = WorkerConfig.defaults("127.0.0.1:9092", "http://127.0.0.1:8081");
        assertThat(defaults.helperIdleExit()).isEqualTo(Duration.ofMinutes(2));

        WorkerConfig never = defaults.withHelperIdleExit(Duration.ZERO);
        assertThat(never.helperIdleExit()).isZero();
        assertThat(never.withPoolSize(3).helperIdleExit()).as("kept through other changes").isZero();
        assertThat(never.toString()).contains("helperIdleExit=PT0S");
    }

    @Test
    void thePoolKeepsTheEnginesDefaultRuntimeUnlessToldOtherwise() {
        WorkerConfig defaults = WorkerConfig.defaults("localhost:9092", "http://localhost:8081");
        assertThat(defaults.poolRuntime()).isNull();
        WorkerConfig gvisor = defaults.withPoolRuntime("runsc");
        assertThat(gvisor.withPoolSize(3).poolRuntime()).as("kept through other changes").isEqualTo("runsc");
        assertThat(gvisor.toString()).contains("poolRuntime=runsc");
        assertThatThrownBy(() -> defaults.withPoolRuntime(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("poolRuntime must name an OCI runtime");
    }

    @Test
    void aNegativeHelperIdleExitIsRefusedByName() {
        WorkerConfig defaults = WorkerConfig.defaults("127.0.0.1:9092", "http://127.0.0.1:8081");
        assertThatThrownBy(() -> defaults.withHelperIdleExit(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("helperIdleExit must be zero (never) or more, got PT-1S");
    }
}
