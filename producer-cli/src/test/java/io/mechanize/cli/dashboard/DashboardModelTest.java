package io.mechanize.cli.dashboard;

import static io.mechanize.cli.results.Events.anAction;
import static io.mechanize.cli.results.Events.anEvent;
import static io.mechanize.cli.results.Events.closed;
import static io.mechanize.cli.results.Events.created;
import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.avro.WorkspaceFailed;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DashboardModelTest {
    private static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);
    private final DashboardModel model = new DashboardModel(Duration.ofSeconds(35));

    @Test
    void aRunsProgressComesFromItsCommandsAndEvents() {
        command("run-a", "ws-1", 0, create("t"));
        command("run-a", "ws-1", 1, new CloseWorkspace("done"));
        command("run-a", "ws-2", 0, create("t"));
        model.onEvent(anEvent("run-a", "ws-1", 0, created("t")));
        model.onEvent(anEvent("run-a", "ws-1", 1, closed(5)));

        DashboardModel.Run run = model.state(T0).runs().getFirst();

        assertThat(run.runId()).isEqualTo("run-a");
        assertThat(run.total()).isEqualTo(2);
        assertThat(run.finished()).isEqualTo(1);
        assertThat(run.completed()).isEqualTo(1);
        assertThat(run.done()).isFalse();
        assertThat(model.state(T0).fleet().openWorkspaces()).isEqualTo(1);
    }

    @Test
    void actionsFallIntoFiveSecondBucketsWithTheirSuccesses() {
        model.onEvent(at(anEvent("r", "ws", 1, anAction(ActionType.TEST_RUN, true, 1)), T0.minusSeconds(4)));
        model.onEvent(at(anEvent("r", "ws", 1, anAction(ActionType.TEST_RUN, false, 2)), T0.minusSeconds(3)));
        model.onEvent(at(anEvent("r", "ws", 2, anAction(ActionType.TEST_RUN, true, 3)), T0));

        var series = model.state(T0.plusSeconds(1)).throughput(); // buckets [T0-5s, T0) and [T0, T0+5s)

        assertThat(series).hasSize(DashboardModel.BUCKETS);
        assertThat(series.getLast().actions()).isEqualTo(1);
        assertThat(series.get(series.size() - 2).actions()).isEqualTo(2);
        assertThat(series.get(series.size() - 2).succeeded()).isEqualTo(1);
        assertThat(series.getLast().start()).isEqualTo(T0.toEpochMilli());
    }

    @Test
    void failuresAndViolationsAreListedNewestFirst() {
        model.onEvent(anEvent("r", "ws", 1, anAction(ActionType.TERMINAL_COMMAND, false, 9, ViolationType.TIMEOUT)));
        model.onEvent(anEvent("r", "ws2", 2, WorkspaceFailed.newBuilder().setReason("container gone")
                .setStage("recover").build()));

        var problems = model.state(T0).problems();

        assertThat(problems).extracting(DashboardModel.Problem::kind)
                .containsExactly("workspace failed", "violation TIMEOUT");
        assertThat(problems.getFirst().detail()).isEqualTo("recover: container gone");
    }

    @Test
    void workersComeFromTheirLatestSnapshot() {
        model.onMetrics(WorkerMetrics.newBuilder().setWorkerId("w1").setEmittedAt(T0.minusSeconds(2)).setCapacity(8)
                .setActiveWorkspaces(3).setActionsSucceeded(10).setActionsFailed(2).setCommandsConsumed(5)
                .setCommandsRejected(0).setUptimeMs(1000).setActionTimeP50Ms(10).setActionTimeP95Ms(40)
                .setActionTimeP99Ms(50).setGauges(Map.of()).build());

        DashboardModel.State state = model.state(T0);

        assertThat(state.workers()).singleElement().satisfies(w -> {
            assertThat(w.workerId()).isEqualTo("w1");
            assertThat(w.activeWorkspaces()).isEqualTo(3);
            assertThat(w.capacity()).isEqualTo(8);
            assertThat(w.actions()).isEqualTo(12);
        });
        assertThat(state.fleet().activeWorkspaces()).isEqualTo(3);
    }

    @Test
    void onlyTheMostRecentRunsAreKept() {
        for (int i = 0; i < DashboardModel.MAX_RUNS + 5; i++) {
            model.onEvent(at(anEvent("run-" + i, "ws", 0, created("t")), T0.plusSeconds(i)));
        }
        var runs = model.state(T0).runs();
        assertThat(runs).hasSize(DashboardModel.MAX_RUNS);
        assertThat(runs.getFirst().runId()).isEqualTo("run-" + (DashboardModel.MAX_RUNS + 4));
        assertThat(runs).noneMatch(r -> r.runId().equals("run-0"));
    }

    private void command(String run, String ws, long seq, Object body) {
        model.onCommand(SimulationCommand.newBuilder().setWorkspaceId(ws).setRunId(run).setSeq(seq)
                .setSubmittedAt(T0).setBody(body).build(), T0);
    }

    private static CreateWorkspace create(String task) {
        var options = io.mechanize.cli.client.WorkspaceOptions.defaults();
        return CreateWorkspace.newBuilder().setTask(io.mechanize.cli.client.Task.named(task).build())
                .setImage(options.image()).setLimits(options.limits()).setPolicy(options.policy()).build();
    }

    private static SimulationEvent at(SimulationEvent e, Instant when) {
        e.setEmittedAt(when);
        return e;
    }
}
