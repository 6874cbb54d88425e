package io.mechanize.cli.results;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SpecParser;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.RejectionStage;
import io.mechanize.schemas.avro.ResourceUsage;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.StateChanges;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.avro.WorkspaceFailed;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunTrackerTest {
    private final RunPlan plan;
    private final String ws0;
    private final String ws1;

    RunTrackerTest() throws Exception {
        var spec = SpecParser.parseLine(1, "{\"task\": {\"task_id\": \"t\"}, \"batches\": [[{\"type\": "
                + "\"TERMINAL_COMMAND\", \"command\": \"ls\"}, {\"type\": \"TERMINAL_COMMAND\", \"command\": \"ls\"}]],"
                + " \"repeat\": 2}");
        plan = RunPlan.of("run-1", List.of(spec), Clock.systemUTC());
        ws0 = plan.workspaces().get(0).workspaceId();
        ws1 = plan.workspaces().get(1).workspaceId();
    }

    @Test
    void aSimulationFinishesWhenEveryCommandIsAnswered() {
        RunTracker tracker = new RunTracker(plan);
        tracker.accept(event(ws0, 0, new WorkspaceCreated("t", "c", "img", null, 5L, false, 0)));
        tracker.accept(event(ws0, 1, action(true, 10)));
        tracker.accept(event(ws0, 1, action(false, 30)));
        assertThat(tracker.finished()).isZero();

        tracker.accept(event(ws0, 2, new WorkspaceClosed("completed", 3L, 100L)));

        assertThat(tracker.finished()).isEqualTo(1);
        assertThat(tracker.completed()).isEqualTo(1);
        assertThat(tracker.allFinished()).isFalse();
        assertThat(tracker.actions()).isEqualTo(2);
        assertThat(tracker.actionsSucceeded()).isEqualTo(1);
        assertThat(tracker.actionMillisQuantile(0.5)).isEqualTo(10);
        assertThat(tracker.actionMillisQuantile(0.95)).isEqualTo(30);
    }

    @Test
    void aFailedWorkspaceFinishesOnceItsLaterCommandsAreRejected() {
        RunTracker tracker = new RunTracker(plan);
        tracker.accept(event(ws1, 0, new WorkspaceFailed("image missing", "create", null)));
        tracker.accept(event(ws1, 1, rejected()));
        tracker.accept(event(ws1, 2, rejected()));

        assertThat(tracker.finished()).isEqualTo(1);
        assertThat(tracker.completed()).isZero();
        assertThat(tracker.failures()).isEqualTo(1);
        assertThat(tracker.problems()).singleElement().asString().contains("failed at create: image missing");
    }

    @Test
    void ignoresEventsOfOtherRunsAndRepeatedAnswers() {
        RunTracker tracker = new RunTracker(plan);
        SimulationEvent other = event(ws0, 0, new WorkspaceClosed("x", 1L, 1L));
        other.setRunId("run-2");
        assertThat(tracker.accept(other)).isFalse();

        tracker.accept(event(ws0, 0, new WorkspaceCreated("t", "c", "img", null, 5L, false, 0)));
        tracker.accept(event(ws0, 0, new WorkspaceCreated("t", "c", "img", null, 5L, false, 0)));
        assertThat(tracker.finished()).isZero();
    }

    private static SimulationEvent event(String workspaceId, long seq, Object body) {
        return SimulationEvent.newBuilder().setWorkspaceId(workspaceId).setRunId("run-1").setCommandSeq(seq)
                .setWorkerId("w").setEmittedAt(Instant.EPOCH).setBody(body).build();
    }

    private static ActionResult action(boolean success, long millis) {
        return ActionResult.newBuilder().setActionId("a").setActionIndex(0).setActionType(ActionType.TERMINAL_COMMAND)
                .setSuccess(success).setExecutionTimeMs(millis).setResourceUsage(ResourceUsage.newBuilder().build())
                .setStateChanges(StateChanges.newBuilder().build()).build();
    }

    private static CommandRejected rejected() {
        return new CommandRejected("workspace has failed", RejectionStage.SEQUENCING, "mechanize.commands", 0, 1L, null);
    }
}
