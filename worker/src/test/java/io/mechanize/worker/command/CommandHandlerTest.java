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
    private final java.util.List<io.mechanize.schemas.avro.SimulationCommand> log = new java.util.ArrayList<>();
    private final CommandHandler handler = new CommandHandler(table, factory,
            new Events("worker-1", Clock.fixed(Instant.parse("2026-01-01T00:00:02Z"), ZoneOffset.UTC)), permits,
            new FleetMetrics(new MetricRegistry()), (workspaceId, partition, from, to) -> log);

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

    @Test
    void aWorkspaceWhoseContainerIsElsewhereIsRebuiltByReplayingItsAppliedBatches() throws Exception {
        log.add(aCreate("ws-1"));
        log.add(aBatch("ws-1", 1, "echo one"));
        log.add(aBatch("ws-1", 7, "echo rejected-gap"));
        log.add(anEvaluate("ws-1", 2));
        log.add(aBatch("ws-1", 3, "echo three"));
        table.restore(io.mechanize.schemas.avro.WorkspaceState.newBuilder(stateOf("worker-dead", 100, 3, 104))
                .setContainerId("gone").build());

        var outcome = handler.handle(inbound(aBatch("ws-1", 4, "echo four"), 105));

        var recovered = (io.mechanize.schemas.avro.WorkspaceRecovered) body(outcome, 0);
        assertThat(recovered.getReplayedCommands()).isEqualTo(2);
        assertThat(recovered.getPreviousWorker()).isEqualTo("worker-dead");
        assertThat(((ActionResult) body(outcome, 1)).getSuccess()).isTrue();
        assertThat(outcome.events()).hasSize(2).allMatch(e -> e.getCommandSeq() == 4);
        assertThat(factory.executed).containsExactly("ws-1:echo one", "ws-1:echo three", "ws-1:echo four");
        assertThat(outcome.newState().orElseThrow().getOwnerWorker()).isEqualTo("worker-1");
        assertThat(table.get("ws-1").orElseThrow().live()).isPresent();
    }

    @Test
    void aCommandThatOutlivedItsPartitionTakesAwayOnlyWhatItLeft() throws Exception {
        // the partition went away while the create waited, and came back with the state another
        // worker committed meanwhile: that restored state must survive the stale create
        var stale = handler.handle(inbound(aCreate("ws-1"), 0), () -> false);
        assertThat(stale.newState()).isEmpty();
        assertThat(stale.movedAway()).as("left to the next owner, not answered").isTrue();
        assertThat(factory.closed).as("its own container is removed").containsExactly("ws-1");
        var restored = stateOf("worker-2", 0, 3, 3);
        table.restore(restored);

        handler.forgetLeftBy("ws-1", stale);

        assertThat(table.get("ws-1").map(WorkspaceTable.Entry::state)).contains(restored);
        assertThat(handler.handle(inbound(aCreate("ws-1"), 0)).events())
                .as("so the redelivered create is known as applied").isEmpty();

        // one that did leave an entry takes it away, with its container and its slot
        var left = handler.handle(inbound(aCreate("ws-2"), 1));
        assertThat(permits.availablePermits()).isEqualTo(1);
        handler.forgetLeftBy("ws-2", left);
        assertThat(table.get("ws-2")).isEmpty();
        assertThat(factory.closed).contains("ws-2");
        assertThat(permits.availablePermits()).isEqualTo(2);
    }

    @Test
    void aRebuildWhosePartitionIsReleasedAtTheLastMomentRemovesItsContainerAndFreesItsSlot() throws Exception {
        log.add(aCreate("ws-1"));
        log.add(aBatch("ws-1", 1, "echo one"));
        table.restore(stateOf("worker-dead", 100, 1, 101));

        // the revocation lands between the ownership check and the container being attached
        var outcome = handler.handle(inbound(aBatch("ws-1", 2, "echo two"), 102), () -> {
            handler.release(java.util.List.of(0));
            return true;
        });

        assertThat(outcome.movedAway()).as("left to the next owner, not failed").isTrue();
        assertThat(outcome.events()).isEmpty();
        assertThat(factory.closed).as("the rebuilt container is removed").containsExactly("ws-1");
        assertThat(permits.availablePermits()).as("and its slot freed").isEqualTo(2);
        assertThat(table.get("ws-1")).isEmpty();
    }

    @Test
    void aCreateWaitingForASlotGivesUpItsPlaceWhenItsPartitionIsHandedOver() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 0));
        handler.handle(inbound(aCreate("ws-2"), 1));
        java.util.concurrent.atomic.AtomicBoolean owned = new java.util.concurrent.atomic.AtomicBoolean(true);
        var waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return handler.handle(inbound(aCreate("ws-3"), 2), owned::get);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(waiting).as("both slots are taken").isNotDone();

        owned.set(false);

        var outcome = waiting.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(outcome.movedAway()).isTrue();
        assertThat(factory.created).containsExactly("ws-1", "ws-2");
        assertThat(permits.availablePermits()).isZero();
    }

    @Test
    void aWorkspaceWhoseHistoryIsGoneFailsWithTheReason() throws Exception {
        table.restore(stateOf("worker-dead", 100, 1, 101));

        var outcome = handler.handle(inbound(aBatch("ws-1", 2, "echo"), 102));

        assertThat(((WorkspaceFailed) body(outcome, 0)).getReason()).contains("no longer in the command log");
        assertThat(permits.availablePermits()).isEqualTo(2);
    }

    @Test
    void anIdleWorkspaceIsClosedWithReasonIdleAndItsSlotFreed() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 0));

        assertThat(handler.closeIdle("ws-1", Instant.parse("2026-01-01T00:00:01Z"))).as("not idle yet").isEmpty();
        var outcome = handler.closeIdle("ws-1", Instant.parse("2026-01-01T00:10:00Z")).orElseThrow();

        assertThat(((WorkspaceClosed) body(outcome, 0)).getReason()).isEqualTo("idle");
        assertThat(outcome.events().get(0).getCommandSeq()).isEqualTo(-1);
        assertThat(outcome.newState().orElseThrow().getStatus()).isEqualTo(WorkspaceStatus.CLOSED);
        assertThat(permits.availablePermits()).isEqualTo(2);
        assertRejected(handler.handle(inbound(aBatch("ws-1", 1, "echo"), 1)), "already closed");
    }

    @Test
    void releasingAPartitionRemovesItsContainersAndForgetsItsWorkspaces() throws Exception {
        handler.handle(inbound(aCreate("ws-1"), 0));

        assertThat(handler.release(java.util.List.of(0))).isEqualTo(1);

        assertThat(factory.closed).containsExactly("ws-1");
        assertThat(permits.availablePermits()).isEqualTo(2);
        assertThat(table.get("ws-1")).isEmpty();
    }

    /** ws-1 as the state topic holds it: active, created on partition 0, applied up to {@code seq} at {@code offset}. */
    private static io.mechanize.schemas.avro.WorkspaceState stateOf(String owner, long createOffset, long seq,
            long offset) {
        return io.mechanize.schemas.avro.WorkspaceState.newBuilder()
                .setWorkspaceId("ws-1").setRunId("run-1").setStatus(WorkspaceStatus.ACTIVE)
                .setOwnerWorker(owner).setCreatePartition(0).setCreateOffset(createOffset)
                .setLastAppliedSeq(seq).setLastAppliedOffset(offset).setUpdatedAt(Instant.EPOCH).build();
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
