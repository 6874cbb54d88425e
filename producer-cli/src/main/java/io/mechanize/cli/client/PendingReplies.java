package io.mechanize.cli.client;

import io.mechanize.cli.client.CommandFailedException.Reason;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.avro.WorkspaceFailed;
import io.mechanize.schemas.avro.WorkspaceRecovered;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The commands sent and not yet answered, by (workspace id, seq), and the rule that says when a
 * command's answer is complete. The worker answers each command in one transaction, with events
 * in this order: an optional {@code WorkspaceRecovered}, then exactly one of
 * <ul>
 *   <li>{@code CommandRejected} or {@code WorkspaceFailed}: the command failed;</li>
 *   <li>create: {@code WorkspaceCreated}; evaluate: {@code EvaluationMetrics}; close: {@code WorkspaceClosed};</li>
 *   <li>batch: one {@code ActionResult} per action, or up to the first failed one with {@code stop_on_failure}.</li>
 * </ul>
 * So the last event is recognisable without waiting for anything else. Futures are completed on
 * {@code completions}, never on the thread that reads the results, so a caller's callbacks cannot
 * stall the consumer.
 */
final class PendingReplies {
    private record Key(String workspaceId, long seq) {}

    private static final class Pending {
        final SimulationCommand command;
        final Instant deadline;
        final Duration timeout;
        final CompletableFuture<CommandReply> future = new CompletableFuture<>();
        final List<SimulationEvent> events = new ArrayList<>();
        final List<ActionResult> results = new ArrayList<>();

        Pending(SimulationCommand command, Instant deadline, Duration timeout) {
            this.command = command;
            this.deadline = deadline;
            this.timeout = timeout;
        }
    }

    /** Told, on the reading thread and before the future completes, that the worker refused a seq. */
    interface RejectionListener {
        void rejected(String workspaceId, long seq);
    }

    private final Map<Key, Pending> pending = new ConcurrentHashMap<>();
    private final Executor completions;
    private final RejectionListener rejections;

    PendingReplies(Executor completions, RejectionListener rejections) {
        this.completions = completions;
        this.rejections = rejections;
    }

    /** Registers a command before it is sent, so that no answer can come before its entry. */
    CompletableFuture<CommandReply> register(SimulationCommand command, Instant sentAt, Duration timeout) {
        Pending p = new Pending(command, sentAt.plus(timeout), timeout);
        if (pending.putIfAbsent(new Key(command.getWorkspaceId(), command.getSeq()), p) != null) {
            throw new IllegalStateException("seq " + command.getSeq() + " of " + command.getWorkspaceId()
                    + " is already waiting for its answer");
        }
        return p.future;
    }

    /** Takes one event from {@code mechanize.results}; events of commands not waited for are ignored. */
    void accept(SimulationEvent event) {
        Key key = new Key(event.getWorkspaceId(), event.getCommandSeq());
        Pending p = pending.get(key);
        if (p == null) {
            return;
        }
        p.events.add(event);
        Object body = event.getBody();
        Object command = p.command.getBody();
        String ws = key.workspaceId();
        long seq = key.seq();
        switch (body) {
            case CommandRejected r -> {
                rejections.rejected(ws, seq);
                fail(key, p, new CommandFailedException(Reason.REJECTED, ws, seq,
                        "rejected at stage " + r.getStage() + ": " + r.getReason(), event, null));
            }
            case WorkspaceFailed f -> fail(key, p, new CommandFailedException(Reason.WORKSPACE_FAILED, ws, seq,
                    "workspace failed at stage " + f.getStage() + ": " + f.getReason(), event, null));
            case WorkspaceRecovered ignored -> { }
            case WorkspaceCreated c when command instanceof CreateWorkspace ->
                    succeed(key, p, new CommandReply.Created(ws, seq, c, p.events));
            case EvaluationMetrics m when command instanceof EvaluateWorkspace ->
                    succeed(key, p, new CommandReply.Evaluated(ws, seq, m, p.events));
            case WorkspaceClosed c when command instanceof CloseWorkspace ->
                    succeed(key, p, new CommandReply.Closed(ws, seq, c, p.events));
            case ActionResult r when command instanceof ActionBatch batch -> {
                p.results.add(r);
                if (p.results.size() >= batch.getActions().size() || (!r.getSuccess() && batch.getStopOnFailure())) {
                    succeed(key, p, new CommandReply.Executed(ws, seq, p.results, p.events));
                }
            }
            default -> fail(key, p, new IllegalStateException(ws + " seq " + seq + ": a "
                    + body.getClass().getSimpleName() + " cannot answer a " + command.getClass().getSimpleName()));
        }
    }

    /** Fails every command whose deadline passed; returns how many. */
    int expire(Instant now) {
        int expired = 0;
        for (Map.Entry<Key, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (now.isAfter(p.deadline)) {
                expired++;
                fail(e.getKey(), p, new CommandFailedException(Reason.TIMED_OUT, e.getKey().workspaceId(),
                        e.getKey().seq(), "no answer within " + p.timeout + " (" + p.events.size()
                                + " events so far); is a worker consuming mechanize.commands?", null, null));
            }
        }
        return expired;
    }

    /** Fails one command, e.g. when the broker refused it. */
    void fail(String workspaceId, long seq, CommandFailedException failure) {
        Key key = new Key(workspaceId, seq);
        Pending p = pending.get(key);
        if (p != null) {
            fail(key, p, failure);
        }
    }

    /** Fails every waiting command with the same reason (the client closes or its consumer died). */
    void failAll(Reason reason, String message, Throwable cause) {
        for (Map.Entry<Key, Pending> e : pending.entrySet()) {
            Key key = e.getKey();
            if (pending.remove(key, e.getValue())) {
                e.getValue().future.completeExceptionally(
                        new CommandFailedException(reason, key.workspaceId(), key.seq(), message, null, cause));
            }
        }
    }

    int size() {
        return pending.size();
    }

    private void succeed(Key key, Pending p, CommandReply reply) {
        if (pending.remove(key, p)) {
            complete(() -> p.future.complete(reply));
        }
    }

    private void fail(Key key, Pending p, Throwable failure) {
        if (pending.remove(key, p)) {
            complete(() -> p.future.completeExceptionally(failure));
        }
    }

    private void complete(Runnable completion) {
        try {
            completions.execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run();
        }
    }
}
