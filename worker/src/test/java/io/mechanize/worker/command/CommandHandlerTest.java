package io.mechanize.worker.command;

import static io.mechanize.worker.command.TestCommands.aBatch;
import static io.mechanize.worker.command.TestCommands.aClose;
import static io.mechanize.worker.command.TestCommands.aCreate;
import static io.mechanize.worker.command.TestCommands.anEvaluate;
import static io.mechanize.worker.command.TestCommands.command;
import static io.mechanize.worker.command.TestCommands.inbound;
import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.RejectionStage;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.avro.WorkspaceFailed;
import io.mechanize.schemas.avro.WorkspaceStatus;
import io.mechanize.worker.observe.FleetMetrics;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

class CommandHandlerTest {
    private final FakeWorkspaceFactory factory = new FakeWorkspaceFactory();
    private final WorkspaceTable table = new WorkspaceTable();
    private final Semaphore permits = new Semaphore(2);
    private final CommandHandler handler = new CommandHandler(table, factory,
            new Events("worker-1", Clock.fixed(Instant.parse("2026-01-01T00:00:02Z"), ZoneOffset.UTC)), permits,
            new FleetMetrics(new MetricRegistry()));

    @Test
    void aWorkspaceGoesFromCreateThroughBatchAndEvaluateToClose() throws Exception {
        var created = handler.handle(inbound(aCreate("ws-1"), 0));
        assertThat(body(created, 0)).isInstanceOf(WorkspaceCreated.class);
        assertThat(created.newState().orElseThrow().getStatus()).isEqualTo(WorkspaceStatus.ACTIVE);
        assertThat(permits.availablePermits()).isEqualTo(1);

        var batch = handler.handle(inbound(aBatch("ws-1", 1, "echo a", "fail", "echo c"), 1));
        assertThat(batch.events()).hasSize(3).allMatch(e -> e.getCommandSeq() == 1);
        assertThat(((ActionResult) body(batch, 1)).getSuccess()).isFalse();
        assertThat(((ActionResult) body(batch, 2)).getSuccess()).as("a failed action is data; the batch goes on")
                .isTrue();

        assertThat(body(handler.handle(inbound(anEvaluate("ws-1", 2), 2)), 0)).isInstanceOf(EvaluationMetrics.class);

        var closed = handler.handle(inbound(aClose("ws-1", 3), 3));
        assertThat(body(closed, 0)).isInstanceOf(WorkspaceClosed.class);
        assertThat(((WorkspaceClosed) body(closed, 0)).getCommandsApplied()).isEqualTo(4);
        assertThat(closed.newState().orElseThrow().getStatus()).isEqualTo(WorkspaceStatus.CLOSED);
        assertThat(factory.closed).containsExactly("ws-1");
        assertThat(permits.availablePermits()).isEqualTo(2);
    }

    @Test
    void stopOnFailureEndsTheBatchAtTheFirstFailure() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 0));
        var batchCommand = aBatch("ws-1", 1, "echo a", "fail", "echo c");
        ((io.mechanize.schemas.avro.ActionBatch) batchCommand.getBody()).setStopOnFailure(true);

        assertThat(handler.handle(inbound(batchCommand, 1)).events()).hasSize(2);
    }

    @Test
    void aRedeliveredCommandIsSkippedWithoutAnyEvent() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 10));
        handler.handle(inbound(aBatch("ws-1", 1, "echo a"), 11));

        var again = handler.handle(inbound(aBatch("ws-1", 1, "echo a"), 11));

        assertThat(again.events()).isEmpty();
        assertThat(again.newState()).isEmpty();
        assertThat(factory.executed).hasSize(1);
    }

    @Test
    void aDuplicateSeqAtANewOffsetIsRejected() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 10));
        handler.handle(inbound(aBatch("ws-1", 1, "echo a"), 11));

        var duplicate = handler.handle(inbound(aBatch("ws-1", 1, "echo a"), 12));

        assertRejected(duplicate, "duplicate seq 1");
        assertThat(factory.executed).hasSize(1);
    }

    @Test
    void aSeqGapIsRejectedAndTheWorkspaceGoesOn() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 0));

        assertRejected(handler.handle(inbound(aBatch("ws-1", 5, "echo a"), 1)), "expected seq 1 but got 5");
        assertThat(handler.handle(inbound(aBatch("ws-1", 1, "echo a"), 2)).events()).hasSize(1);
    }

    @Test
    void commandsForUnknownOrClosedWorkspacesAreRejected() throws Exception {
        assertRejected(handler.handle(inbound(aBatch("nobody", 1, "echo a"), 0)), "unknown workspace nobody");

        handler.handle(inbound(aCreate("ws-1"), 1));
        handler.handle(inbound(aClose("ws-1", 1), 2));
        assertRejected(handler.handle(inbound(aBatch("ws-1", 2, "echo a"), 3)), "already closed");
    }

    @Test
    void createMustBeSeqZeroAndHappenOnce() throws Exception {
        assertRejected(handler.handle(inbound(command("ws-1", 3, TestCommands.createBody("t")), 0)),
                "must carry seq 0");
        handler.handle(inbound(aCreate("ws-2"), 1));
        assertRejected(handler.handle(inbound(aCreate("ws-2"), 2)), "already exists");
    }

    @Test
    void aContainerThatCannotBeCreatedFailsTheWorkspaceWithItsReason() throws Exception {
        factory.failCreateWith = "image mechanize/dev-env:latest is not present";

        var outcome = handler.handle(inbound(aCreate("ws-1"), 0));

        assertThat(((WorkspaceFailed) body(outcome, 0)).getReason()).contains("not present");
        assertThat(outcome.newState().orElseThrow().getStatus()).isEqualTo(WorkspaceStatus.FAILED);
        assertThat(permits.availablePermits()).isEqualTo(2);
        assertRejected(handler.handle(inbound(aBatch("ws-1", 1, "echo a"), 1)), "has failed");
    }

    @Test
    void aContainerThatDiesFailsTheWorkspaceAndFreesItsSlot() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 0));

        var outcome = handler.handle(inbound(aBatch("ws-1", 1, "die"), 1));

        assertThat(((WorkspaceFailed) body(outcome, 0)).getReason()).contains("OOMKilled");
        assertThat(factory.closed).containsExactly("ws-1");
        assertThat(permits.availablePermits()).isEqualTo(2);
    }

    private static Object body(CommandOutcome outcome, int index) {
        SimulationEvent event = outcome.events().get(index);
        assertThat(event.getWorkerId()).isEqualTo("worker-1");
        return event.getBody();
    }

    private static void assertRejected(CommandOutcome outcome, String reasonPart) {
        assertThat(outcome.events()).hasSize(1);
        assertThat(outcome.newState()).isEmpty();
        CommandRejected rejected = (CommandRejected) body(outcome, 0);
        assertThat(rejected.getStage()).isEqualTo(RejectionStage.SEQUENCING);
        assertThat(rejected.getReason()).contains(reasonPart);
    }
}
