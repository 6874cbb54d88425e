package io.mechanize.worker.consume;

import static io.mechanize.worker.command.TestCommands.aBatch;
import static io.mechanize.worker.command.TestCommands.aCreate;
import static io.mechanize.worker.command.TestCommands.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.TerminalCommandAction;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandValidatorTest {

    @Test
    void acceptsWellFormedCommands() {
        assertThat(CommandValidator.validate(aCreate("ws-1"), "ws-1")).isEmpty();
        assertThat(CommandValidator.validate(aBatch("ws-1", 1, "ls"), "ws-1")).isEmpty();
    }

    @Test
    void namesTheFieldAtFault() {
        assertThat(CommandValidator.validate(command("ws-1", 1, ActionBatch.newBuilder().setActions(List.of()).build()),
                "ws-1")).hasValue("body.actions: must hold at least one action");

        var negativeTimeout = command("ws-1", 1, batchOf(TerminalCommandAction.newBuilder().setCommand("ls")
                .setTimeout(-1).build()));
        assertThat(CommandValidator.validate(negativeTimeout, "ws-1"))
                .hasValue("body.actions[0].payload.timeout: must be positive, got -1");

        var unknownOperation = command("ws-1", 1, batchOf(FileEditAction.newBuilder().setFilePath("a.txt")
                .setOperation("explode").build()));
        assertThat(CommandValidator.validate(unknownOperation, "ws-1")).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("body.actions[0].payload.operation: unknown file operation 'explode'");
    }

    @Test
    void refusesAKeyThatIsNotTheWorkspaceId() {
        assertThat(CommandValidator.validate(aCreate("ws-1"), "ws-2")).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("differs from the record key 'ws-2'");
    }

    @Test
    void refusesANegativeSeqAndAnEmptyTask() {
        assertThat(CommandValidator.validate(aBatch("ws-1", -1, "ls"), "ws-1")).hasValue("seq: must be 0 or more, got -1");
        var create = aCreate("ws-1");
        ((io.mechanize.schemas.avro.CreateWorkspace) create.getBody()).getTask().setTaskId(" ");
        assertThat(CommandValidator.validate(create, "ws-1")).hasValue("body.task.task_id: must not be empty");
    }

    private static ActionBatch batchOf(Object payload) {
        return ActionBatch.newBuilder()
                .setActions(List.of(Action.newBuilder().setActionId("a0").setPayload(payload).build()))
                .build();
    }
}
