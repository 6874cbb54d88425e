package io.mechanize.cli.results;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.CriterionResult;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.ResourceUsage;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.StateChanges;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import java.time.Instant;
import java.util.List;

/** Test builders for result events: {@code anEvent("ws", 1, anAction(...))}. */
public final class Events {
    private Events() {}

    public static SimulationEvent anEvent(String runId, String workspaceId, long seq, Object body) {
        return SimulationEvent.newBuilder().setWorkspaceId(workspaceId).setRunId(runId).setCommandSeq(seq)
                .setWorkerId("worker-1").setEmittedAt(Instant.ofEpochMilli(1_700_000_000_000L + seq)).setBody(body)
                .build();
    }

    public static WorkspaceCreated created(String taskId) {
        return new WorkspaceCreated(taskId, "c", "img", null, 5L, false, 0);
    }

    public static WorkspaceClosed closed(long lifetimeMs) {
        return new WorkspaceClosed("completed", 3L, lifetimeMs);
    }

    public static ActionResult anAction(ActionType type, boolean success, long millis, ViolationType... violations) {
        return ActionResult.newBuilder().setActionId("a-" + millis).setActionIndex(0).setActionType(type)
                .setSuccess(success).setExecutionTimeMs(millis).setExitCode(success ? 0 : 1).setOutput("out " + millis)
                .setResourceUsage(ResourceUsage.newBuilder().setCpuTimeMs(millis / 2).setPeakMemoryBytes(1024 * millis)
                        .setPeakPids(3).setWorkspaceBytes(4096).build())
                .setSecurityViolations(java.util.Arrays.stream(violations)
                        .map(v -> new SecurityViolation(v, v.name().toLowerCase())).toList())
                .setStateChanges(StateChanges.newBuilder().setModified(List.of("f.py")).build()).build();
    }

    public static EvaluationMetrics anEvaluation(boolean passed, Boolean resolved) {
        return EvaluationMetrics.newBuilder()
                .setCriteriaResults(List.of(new CriterionResult("tests", "tests", passed, ""),
                        new CriterionResult("exists", "file_exists", true, "")))
                .setCompletionPercentage(passed ? 100.0 : 50.0).setPassed(passed).setResolved(resolved)
                .setTestsPassed(passed ? 2 : 1).setTestsFailed(passed ? 0 : 1).setFinalDiff("--- a\n+++ b\n")
                .setDurationMs(40L).build();
    }
}
