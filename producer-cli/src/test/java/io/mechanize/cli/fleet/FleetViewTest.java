package io.mechanize.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.WorkerMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetViewTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    @Test
    void throughputIsTheActionDeltaBetweenAWorkersLastTwoSnapshotsAndLagSumsItsPartitions() {
        FleetView view = new FleetView(Duration.ofSeconds(35));
        view.accept(snapshot("w-1", T0, 100, 10, 3, Map.of()));
        view.accept(snapshot("w-1", T0.plusSeconds(10), 140, 20, 5,
                Map.of(FleetView.LAG_PREFIX + "0", 4.0, FleetView.LAG_PREFIX + "7", 3.0, "other.gauge", 99.0)));
        view.accept(snapshot("w-1", T0.plusSeconds(5), 0, 0, 0, Map.of()));

        FleetView.Frame frame = view.frame(T0.plusSeconds(12));

        FleetView.WorkerRow row = frame.workers().get(0);
        assertThat(row.actionsPerSecond()).as("(160 - 110) actions in 10 s").isEqualTo(5.0);
        assertThat(row.lag()).isEqualTo(7);
        assertThat(row.actions()).isEqualTo(160);
        assertThat(row.activeWorkspaces()).isEqualTo(5);
        assertThat(frame.liveWorkers()).isEqualTo(1);
    }

    @Test
    void aSilentWorkerIsShownButLeftOutOfTheTotals() {
        FleetView view = new FleetView(Duration.ofSeconds(35));
        view.accept(snapshot("w-old", T0, 10, 0, 2, Map.of()));
        view.accept(snapshot("w-new", T0.plusSeconds(60), 20, 1, 1, Map.of()));

        FleetView.Frame frame = view.frame(T0.plusSeconds(61));

        assertThat(frame.liveWorkers()).isEqualTo(1);
        assertThat(frame.activeWorkspaces()).isEqualTo(1);
        assertThat(frame.capacity()).isEqualTo(8);
        assertThat(FleetView.render(frame)).contains("1 live workers, 1 / 8 workspaces active")
                .containsPattern("w-old .* \\(silent\\)");
    }

    private static WorkerMetrics snapshot(String id, Instant at, long ok, long failed, int active,
            Map<String, Double> gauges) {
        return WorkerMetrics.newBuilder().setWorkerId(id).setEmittedAt(at).setUptimeMs(1).setCapacity(8)
                .setActiveWorkspaces(active).setCommandsConsumed(1).setCommandsRejected(0).setActionsSucceeded(ok)
                .setActionsFailed(failed).setActionTimeP50Ms(1).setActionTimeP95Ms(2).setActionTimeP99Ms(3)
                .setGauges(gauges).build();
    }
}
