package io.mechanize.cli.client;

import static io.mechanize.cli.results.Events.anAction;
import static io.mechanize.cli.results.Events.anEvaluation;
import static io.mechanize.cli.results.Events.anEvent;
import static io.mechanize.cli.results.Events.closed;
import static io.mechanize.cli.results.Events.created;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.cli.client.CommandFailedException.Reason;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.RejectionStage;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.WorkspaceFailed;
import io.mechanize.schemas.avro.WorkspaceRecovered;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class PendingRepliesTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private final List<String> rejections = new ArrayList<>();
    private final PendingReplies replies = new PendingReplies(Runnable::run, (ws, seq) -> rejections.add(ws + "/" + seq));

    @Test
    void aBatchIsAnsweredWhenEveryActionHasAResult() {
        CompletableFuture<CommandReply> f = register("ws", 1, Actions.batch().run("a").run("b").run("c").build());
        replies.accept(anEvent("r", "ws", 1, anAction(ActionType.TERMINAL_COMMAND, true, 1)));
        replies.accept(anEvent("r", "ws", 1, anAction(ActionType.TERMINAL_COMMAND, false, 2)));
        assertThat(f).isNotDone();
        replies.accept(anEvent("r", "ws", 1, anAction(ActionType.TERMINAL_COMMAND, true, 3)));

        CommandReply.Executed executed = (CommandReply.Executed) f.join();
        assertThat(executed.results()).extracting(r -> r.getExecutionTimeMs()).containsExactly(1L, 2L, 3L);
        assertThat(executed.allSucceeded()).isFalse();
        assertThat(replies.size()).isZero();
    }

    @Test
    void aStopOnFailureBatchIsAnsweredByItsFirstFailedAction() {
        CompletableFuture<CommandReply> f = register("ws", 2,
                Actions.batch().stopOnFailure().run("a").run("b").run("c").build());
        replies.accept(anEvent("r", "ws", 2, anAction(ActionType.TERMINAL_COMMAND, true, 1)));
        assertThat(f).isNotDone();
        replies.accept(anEvent("r", "ws", 2, anAction(ActionType.TERMINAL_COMMAND, false, 2)));

        assertThat(((CommandReply.Executed) f.join()).results()).hasSize(2);
    }

    @Test
    void eachKindOfCommandIsAnsweredByItsOwnEventAndARecoveryIsKept() {
        CompletableFuture<CommandReply> create = register("ws", 0, new CreateWorkspace());
        CompletableFuture<CommandReply> evaluate = register("ws", 3, new EvaluateWorkspace(null));
        CompletableFuture<CommandReply> close = register("ws", 4, new CloseWorkspace("done"));

        replies.accept(anEvent("r", "ws", 0, created("t")));
        replies.accept(anEvent("r", "ws", 3, new WorkspaceRecovered(2, 900L, "old-worker")));
        assertThat(evaluate).isNotDone();
        replies.accept(anEvent("r", "ws", 3, anEvaluation(true, null)));
        replies.accept(anEvent("r", "ws", 4, closed(10)));

        assertThat(create.join()).isInstanceOf(CommandReply.Created.class);
        CommandReply.Evaluated evaluated = (CommandReply.Evaluated) evaluate.join();
        assertThat(evaluated.passed()).isTrue();
        assertThat(evaluated.events()).hasSize(2);
        assertThat(evaluated.recovered()).hasValueSatisfying(r -> assertThat(r.getPreviousWorker())
                .isEqualTo("old-worker"));
        assertThat(close.join()).isInstanceOfSatisfying(CommandReply.Closed.class,
                c -> assertThat(c.closed().getLifetimeMs()).isEqualTo(10));
    }

    @Test
    void aRejectionOrAFailedWorkspaceFailsTheFutureWithTheWorkersReason() {
        CompletableFuture<CommandReply> rejected = register("ws", 5, new EvaluateWorkspace(null));
        CompletableFuture<CommandReply> failed = register("other", 0, new CreateWorkspace());

        replies.accept(anEvent("r", "ws", 5, CommandRejected.newBuilder().setReason("seq gap: expected seq 4")
                .setStage(RejectionStage.SEQUENCING).setSourceTopic("mechanize.commands").setSourcePartition(1)
                .setSourceOffset(7).build()));
        replies.accept(anEvent("r", "other", 0, WorkspaceFailed.newBuilder().setReason("no such image")
                .setStage("container").build()));

        assertThatThrownBy(rejected::join).isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(CommandFailedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.REJECTED);
                    assertThat(e.getMessage()).isEqualTo("ws seq 5: rejected at stage SEQUENCING: seq gap: expected seq 4");
                    assertThat(e.event()).isPresent();
                });
        assertThat(rejections).containsExactly("ws/5");
        assertThatThrownBy(failed::join).cause().isInstanceOfSatisfying(CommandFailedException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.WORKSPACE_FAILED);
            assertThat(e.getMessage()).contains("at stage container: no such image");
        });
    }

    @Test
    void eventsOfOtherCommandsAreIgnored() {
        CompletableFuture<CommandReply> f = register("ws", 1, Actions.batch().run("a").build());
        replies.accept(anEvent("r", "ws", 2, anAction(ActionType.TERMINAL_COMMAND, true, 1)));
        replies.accept(anEvent("r", "ws2", 1, anAction(ActionType.TERMINAL_COMMAND, true, 1)));
        assertThat(f).isNotDone();
        assertThat(replies.size()).isOne();
    }

    @Test
    void aCommandWithoutAnAnswerTimesOutAtItsDeadlineOnly() {
        CompletableFuture<CommandReply> f = register("ws", 0, new CreateWorkspace());

        assertThat(replies.expire(T0.plus(Duration.ofMinutes(5)))).isZero();
        assertThat(replies.expire(T0.plus(Duration.ofMinutes(5)).plusMillis(1))).isOne();

        assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(CommandFailedException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.TIMED_OUT);
            assertThat(e.getMessage()).startsWith("ws seq 0: no answer within PT5M");
        });
    }

    @Test
    void failAllAnswersEveryWaitingCommandAndALateEventChangesNothing() {
        CompletableFuture<CommandReply> a = register("a", 0, new CreateWorkspace());
        CompletableFuture<CommandReply> b = register("b", 3, new CloseWorkspace("x"));

        replies.failAll(Reason.CLIENT_CLOSED, "the client was closed", null);
        replies.accept(anEvent("r", "a", 0, created("t")));

        assertThat(replies.size()).isZero();
        for (CompletableFuture<CommandReply> f : java.util.List.of(a, b)) {
            assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(CommandFailedException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.CLIENT_CLOSED));
        }
    }

    @Test
    void aSeqCannotWaitTwice() {
        register("ws", 0, new CreateWorkspace());
        assertThatThrownBy(() -> register("ws", 0, new CreateWorkspace())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already waiting");
    }

    private CompletableFuture<CommandReply> register(String workspaceId, long seq, Object body) {
        return replies.register(SimulationCommand.newBuilder().setWorkspaceId(workspaceId).setRunId("r").setSeq(seq)
                .setSubmittedAt(T0).setBody(body).build(), T0, Duration.ofMinutes(5));
    }
}
