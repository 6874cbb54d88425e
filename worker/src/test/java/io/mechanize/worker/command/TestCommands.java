package io.mechanize.worker.command;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import java.time.Instant;
import java.util.List;

/** Builders for commands in tests: {@code aCreate("ws-1")}, {@code aBatch("ws-1", 1, "echo hi")}. */
public final class TestCommands {
    private TestCommands() {}

    public static CreateWorkspace createBody(String taskId) {
        return CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId(taskId).setSnapshot(null)
                        .setEvaluationCriteria(List.of(EvaluationCriterion.newBuilder()
                                .setType(CriterionType.COMMAND).setCommand("true").build()))
                        .build())
                .setLimits(ResourceLimits.newBuilder().build())
                .setPolicy(SandboxPolicy.newBuilder().build())
                .build();
    }

    public static SimulationCommand command(String workspaceId, long seq, Object body) {
        return SimulationCommand.newBuilder()
                .setWorkspaceId(workspaceId)
                .setRunId("run-1")
                .setSeq(seq)
                .setSubmittedAt(Instant.parse("2026-01-01T00:00:00Z"))
                .setBody(body)
                .build();
    }

    public static SimulationCommand aCreate(String workspaceId) {
        return command(workspaceId, 0, createBody("task-" + workspaceId));
    }

    public static SimulationCommand aBatch(String workspaceId, long seq, String... shellCommands) {
        List<Action> actions = new java.util.ArrayList<>();
        for (int i = 0; i < shellCommands.length; i++) {
            actions.add(Action.newBuilder().setActionId("a" + i)
                    .setPayload(TerminalCommandAction.newBuilder().setCommand(shellCommands[i]).build()).build());
        }
        return command(workspaceId, seq, ActionBatch.newBuilder().setActions(actions).build());
    }

    public static SimulationCommand anEvaluate(String workspaceId, long seq) {
        return command(workspaceId, seq, new EvaluateWorkspace(null));
    }

    public static SimulationCommand aClose(String workspaceId, long seq) {
        return command(workspaceId, seq, new CloseWorkspace("requested"));
    }

    public static InboundCommand inbound(SimulationCommand command, long offset) {
        return new InboundCommand(command, "mechanize.commands", 0, offset, Instant.parse("2026-01-01T00:00:01Z"));
    }
}
