package io.mechanize.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.mechanize.schemas.avro.WorkerMetrics;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MetricsSnapshotTest {
    @Test
    void namedFieldsSumTheFamiliesAndTheMapsCarryTheRest() {
        FleetMetrics metrics = new FleetMetrics(new MetricRegistry());
        metrics.registerGauge("workspaces.active", () -> 3);
        metrics.recordCommandConsumed();
        metrics.recordRejected("VALIDATION");
        metrics.recordRejected("SEQUENCING");
        metrics.recordAction("FILE_EDIT", true, 10);
        metrics.recordAction("TERMINAL_COMMAND", true, 20);
        metrics.recordAction("TERMINAL_COMMAND", false, 2000);
        metrics.recordContainerFailure();

        Instant start = Instant.parse("2025-01-01T00:00:00Z");
        WorkerMetrics snapshot = MetricsSnapshot.of(metrics, "w-1", 8, start, start.plusSeconds(90));

        assertThat(snapshot.getWorkerId()).isEqualTo("w-1");
        assertThat(snapshot.getUptimeMs()).isEqualTo(90_000);
        assertThat(snapshot.getCapacity()).isEqualTo(8);
        assertThat(snapshot.getActiveWorkspaces()).isEqualTo(3);
        assertThat(snapshot.getCommandsConsumed()).isEqualTo(1);
        assertThat(snapshot.getCommandsRejected()).isEqualTo(2);
        assertThat(snapshot.getActionsSucceeded()).isEqualTo(2);
        assertThat(snapshot.getActionsFailed()).isEqualTo(1);
        assertThat(snapshot.getActionTimeP99Ms()).isEqualTo(2000.0);
        assertThat(snapshot.getActionTimeP50Ms()).isBetween(10.0, 2000.0);
        assertThat(snapshot.getCounters())
                .containsEntry("mechanize.worker.containers.failed", 1L)
                .containsEntry("mechanize.worker.commands.rejected.sequencing", 1L)
                .containsEntry("mechanize.worker.action.seconds.count", 3L);
        assertThat(snapshot.getGauges()).containsEntry("mechanize.worker.workspaces.active", 3.0);
    }
}
