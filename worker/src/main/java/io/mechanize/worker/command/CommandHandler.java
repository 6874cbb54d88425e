package io.mechanize.worker.command;

import io.mechanize.schemas.AvroTrust;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.RejectionStage;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.avro.WorkspaceRecovered;
import io.mechanize.schemas.avro.WorkspaceState;
import io.mechanize.schemas.avro.WorkspaceStatus;
import io.mechanize.worker.observe.FleetMetrics;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceFactory;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a workspace as a state machine: one command in, its events and the workspace's
 * next state out. Called from the workspace's lane, so commands of one workspace never overlap.
 *
 * <pre>
 *   (none) --CreateWorkspace seq 0--> ACTIVE --ActionBatch/EvaluateWorkspace--> ACTIVE
 *   ACTIVE --CloseWorkspace--> CLOSED          any --container lost--> FAILED
 * </pre>
 *
 * Sequencing: a command at or below the last applied offset is a redelivery and is skipped with
 * no event; any other command must carry exactly the next seq, otherwise it is rejected.
 */
public final class CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(CommandHandler.class);

    private final WorkspaceTable table;
    private final WorkspaceFactory factory;
    private final Events events;
    private final Semaphore workspacePermits;
    private final FleetMetrics metrics;
    private final CommandLog commandLog;

    public CommandHandler(WorkspaceTable table, WorkspaceFactory factory, Events events, Semaphore workspacePermits,
            FleetMetrics metrics, CommandLog commandLog) {
        AvroTrust.trustContractClasses(); // builders deep-copy contract records
        this.commandLog = commandLog;
        this.table = table;
        this.factory = factory;
        this.events = events;
        this.workspacePermits = workspacePermits;
        this.metrics = metrics;
    }

    public CommandOutcome handle(InboundCommand in) throws InterruptedException {
        return handle(in, () -> true);
    }

    /**
     * Handles one command. {@code stillOwned} says whether this worker still owns the command's
     * partition: a container made for a partition that went away meanwhile is removed at once
     * instead of entering the table (the new owner builds its own).
     */
    public CommandOutcome handle(InboundCommand in, java.util.function.BooleanSupplier stillOwned)
            throws InterruptedException {
        this.owned.set(stillOwned);
        try {
            return handleOwned(in);
        } finally {
            this.owned.remove();
        }
    }

    private final ThreadLocal<java.util.function.BooleanSupplier> owned = new ThreadLocal<>();

    private boolean stillOwned() {
        var check = owned.get();
        return check == null || check.getAsBoolean();
    }

    private CommandOutcome handleOwned(InboundCommand in) throws InterruptedException {
        var entry = table.get(in.workspaceId());
        if (entry.isPresent() && in.offset() <= entry.get().state().getLastAppliedOffset()
                && in.partition() == entry.get().state().getCreatePartition()) {
            log.info("skipping redelivered {} seq {} at offset {}: already applied", in.kind(), in.seq(), in.offset());
            return CommandOutcome.skipped();
        }
        if (in.command().getBody() instanceof CreateWorkspace create) {
            if (entry.isPresent()) {
                return reject(in, RejectionStage.SEQUENCING, "workspace " + in.workspaceId()
                        + " already exists (created at offset " + entry.get().state().getCreateOffset() + ")");
            }
            if (in.seq() != 0) {
                return reject(in, RejectionStage.SEQUENCING, "CreateWorkspace must carry seq 0, got " + in.seq());
            }
            return create(in, create);
        }
        if (entry.isEmpty()) {
            return reject(in, RejectionStage.SEQUENCING, "unknown workspace " + in.workspaceId()
                    + ": no CreateWorkspace was applied for it (seq " + in.seq() + ", " + in.kind() + ")");
        }
        WorkspaceTable.Entry known = entry.get();
        WorkspaceState state = known.state();
        switch (state.getStatus()) {
            case CLOSED -> {
                return reject(in, RejectionStage.SEQUENCING, "workspace " + in.workspaceId() + " is already closed");
            }
            case FAILED -> {
                return reject(in, RejectionStage.SEQUENCING, "workspace " + in.workspaceId() + " has failed");
            }
            default -> { }
        }
        long expected = state.getLastAppliedSeq() + 1;
        if (in.seq() < expected) {
            return reject(in, RejectionStage.SEQUENCING, "duplicate seq " + in.seq() + ": workspace "
                    + in.workspaceId() + " has already applied up to seq " + state.getLastAppliedSeq());
        }
        if (in.seq() > expected) {
            return reject(in, RejectionStage.SEQUENCING, "seq gap: workspace " + in.workspaceId()
                    + " expected seq " + expected + " but got " + in.seq());
        }
        Object body = in.command().getBody();
        List<SimulationEvent> recovered = new ArrayList<>();
        Workspace live = known.live().orElse(null);
        if (live == null && body instanceof CloseWorkspace close) {
            return closeWithoutContainer(in, known, close);
        }
        if (live == null) {
            Rebuilt rebuilt;
            try {
                rebuilt = rebuild(in, known);
            } catch (WorkspaceException e) {
                return fail(in, known, "recover", e.getMessage(), e);
            } catch (PartitionMovedException e) {
                log.info("workspace not rebuilt: {}", e.getMessage());
                return CommandOutcome.leftToNextOwner();
            }
            live = rebuilt.workspace();
            recovered.add(events.answer(in, rebuilt.event()));
        }
        try {
            CommandOutcome outcome;
            if (body instanceof ActionBatch batch) {
                outcome = runBatch(in, known, live, batch);
            } else if (body instanceof EvaluateWorkspace evaluate) {
                outcome = evaluate(in, known, live, evaluate);
            } else if (body instanceof CloseWorkspace close) {
                outcome = close(in, known, live, close);
            } else {
                return reject(in, RejectionStage.VALIDATION, "unsupported command body " + in.kind());
            }
            if (recovered.isEmpty()) {
                return outcome;
            }
            recovered.addAll(outcome.events());
            return new CommandOutcome(recovered, outcome.newState());
        } catch (WorkspaceException e) {
            return fail(in, known, e.stage(), e.getMessage(), e);
        }
    }

    private CommandOutcome create(InboundCommand in, CreateWorkspace create) throws InterruptedException {
        if (!acquireSlot()) {
            log.info("partition {} moved away while the create waited for a workspace slot", in.partition());
            return CommandOutcome.leftToNextOwner();
        }
        Workspace workspace;
        try {
            workspace = factory.create(new WorkspaceRef(in.workspaceId(), in.runId(), events.workerId()), create);
        } catch (WorkspaceException e) {
            workspacePermits.release();
            log.warn("workspace could not be created: {}", e.getMessage());
            metrics.recordContainerFailure();
            WorkspaceState failed = state(in, in, WorkspaceStatus.FAILED, null);
            table.put(failed, create, null);
            return CommandOutcome.of(List.of(events.failed(in, e.stage(), e.getMessage(), e.getCause())), failed);
        } catch (RuntimeException e) {
            workspacePermits.release();
            throw e;
        }
        long readyMs = Duration.between(in.consumedAt(), events.clock().instant()).toMillis();
        metrics.recordWorkspaceReady(readyMs);
        if (!stillOwned()) {
            workspace.close();
            workspacePermits.release();
            log.info("partition {} moved away while its container was being created: removed it", in.partition());
            return CommandOutcome.leftToNextOwner();
        }
        WorkspaceState active = state(in, in, WorkspaceStatus.ACTIVE, workspace.containerId());
        table.put(active, create, workspace);
        var created = WorkspaceCreated.newBuilder()
                .setTaskId(create.getTask().getTaskId())
                .setContainerId(workspace.containerId())
                .setImage(create.getImage())
                .setRuntime(create.getPolicy().getRuntime())
                .setReadyMs(readyMs)
                .setFromPool(workspace.fromPool())
                .setSnapshotFiles(workspace.snapshotFiles())
                .build();
        log.info("workspace ready in {} ms (container {}{})", readyMs, shortId(workspace.containerId()),
                workspace.fromPool() ? ", from the warm pool" : "");
        return CommandOutcome.of(List.of(events.answer(in, created)), active);
    }

    private CommandOutcome runBatch(InboundCommand in, WorkspaceTable.Entry entry, Workspace live, ActionBatch batch)
            throws WorkspaceException {
        List<SimulationEvent> out = new ArrayList<>();
        List<Action> actions = batch.getActions();
        for (int i = 0; i < actions.size(); i++) {
            ActionResult result = live.execute(actions.get(i), i);
            metrics.recordAction(result.getActionType().name(), result.getSuccess(), result.getExecutionTimeMs());
            out.add(events.answer(in, result));
            if (!result.getSuccess() && batch.getStopOnFailure()) {
                log.info("batch stopped after action {} of {} failed", i + 1, actions.size());
                break;
            }
        }
        WorkspaceState next = advance(entry.state(), in, WorkspaceStatus.ACTIVE);
        entry.update(next, live);
        return CommandOutcome.of(out, next);
    }

    private CommandOutcome evaluate(InboundCommand in, WorkspaceTable.Entry entry, Workspace live,
            EvaluateWorkspace evaluate) throws WorkspaceException {
        List<EvaluationCriterion> criteria = evaluate.getCriteria() != null
                ? evaluate.getCriteria()
                : entry.creation().map(c -> c.getTask().getEvaluationCriteria()).orElse(List.of());
        EvaluationMetrics metricsResult = live.evaluate(criteria);
        metrics.recordEvaluation(metricsResult.getPassed());
        WorkspaceState next = advance(entry.state(), in, WorkspaceStatus.ACTIVE);
        entry.update(next, live);
        return CommandOutcome.of(List.of(events.answer(in, metricsResult)), next);
    }

    private CommandOutcome close(InboundCommand in, WorkspaceTable.Entry entry, Workspace live, CloseWorkspace close) {
        if (entry.detach() != null) {
            live.close();
            workspacePermits.release();
        }
        WorkspaceState next = advance(entry.state(), in, WorkspaceStatus.CLOSED);
        entry.update(next, null);
        long lifetime = Duration.between(entry.createdAt(), events.clock().instant()).toMillis();
        var closed = WorkspaceClosed.newBuilder()
                .setReason(close.getReason())
                .setCommandsApplied(in.seq() + 1)
                .setLifetimeMs(Math.max(0, lifetime))
                .build();
        return CommandOutcome.of(List.of(events.answer(in, closed)), next);
    }

    /**
     * Waits for a workspace slot for as long as this worker owns the command's partition: a
     * command of a partition being handed over gives up its place instead of holding up the
     * hand-over.
     */
    private boolean acquireSlot() throws InterruptedException {
        while (!workspacePermits.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            if (!stillOwned()) {
                return false;
            }
        }
        return true;
    }

    /** The command's partition went to another worker before its workspace could be set up here. */
    private static final class PartitionMovedException extends Exception {
        PartitionMovedException(InboundCommand in, String during) {
            super("partition " + in.partition() + " moved to another worker while workspace " + in.workspaceId()
                    + " was " + during, null, false, false);
        }
    }

    /** A rebuilt workspace and the event that records its recovery. */
    private record Rebuilt(Workspace workspace, WorkspaceRecovered event) {}

    /**
     * Rebuilds a workspace whose container is not on this worker (its partition moved here): a
     * fresh container from its CreateWorkspace, then its applied batches replayed in seq order,
     * read back from the command log. Replayed results are not published again.
     */
    private Rebuilt rebuild(InboundCommand in, WorkspaceTable.Entry entry)
            throws WorkspaceException, PartitionMovedException, InterruptedException {
        Instant started = events.clock().instant();
        WorkspaceState state = entry.state();
        List<SimulationCommand> history;
        try {
            history = commandLog.read(in.workspaceId(), state.getCreatePartition(), state.getCreateOffset(),
                    state.getLastAppliedOffset());
        } catch (RuntimeException e) {
            throw new WorkspaceException("recover", "cannot read the history of workspace " + in.workspaceId()
                    + " from the command log: " + e.getMessage(), e);
        }
        if (history.isEmpty() || history.get(0).getSeq() != 0
                || !(history.get(0).getBody() instanceof CreateWorkspace create)) {
            throw new WorkspaceException("recover", "the CreateWorkspace of workspace " + in.workspaceId()
                    + " is no longer in the command log at offset " + state.getCreateOffset()
                    + " (retention?); it cannot be rebuilt");
        }
        if (!acquireSlot()) {
            throw new PartitionMovedException(in, "waiting for a workspace slot");
        }
        Workspace workspace;
        try {
            workspace = factory.create(new WorkspaceRef(in.workspaceId(), in.runId(), events.workerId()), create);
        } catch (WorkspaceException | RuntimeException e) {
            workspacePermits.release();
            throw e;
        }
        int replayed = 0;
        long expected = 1;
        try {
            for (SimulationCommand past : history.subList(1, history.size())) {
                if (expected > state.getLastAppliedSeq()) {
                    break;
                }
                if (past.getSeq() != expected) {
                    continue; // a command that was rejected when it first came
                }
                if (past.getBody() instanceof ActionBatch batch) {
                    replay(workspace, batch);
                    replayed++;
                }
                expected++;
            }
            if (expected <= state.getLastAppliedSeq()) {
                throw new WorkspaceException("recover", "the command log holds workspace " + in.workspaceId()
                        + "'s commands up to seq " + (expected - 1) + " but it had applied up to seq "
                        + state.getLastAppliedSeq());
            }
        } catch (WorkspaceException | RuntimeException e) {
            workspace.close();
            workspacePermits.release();
            throw e;
        }
        Instant done = events.clock().instant();
        // released by a hand-over meanwhile, or about to be: the new owner rebuilds it
        if (!stillOwned() || !entry.rebuilt(create, workspace, done)) {
            workspace.close();
            workspacePermits.release();
            throw new PartitionMovedException(in, "being rebuilt");
        }
        long millis = Duration.between(started, done).toMillis();
        metrics.recordRecovery(millis);
        log.info("workspace rebuilt from the command log: {} batches replayed in {} ms (previous owner {})", replayed,
                millis, state.getOwnerWorker());
        return new Rebuilt(workspace, WorkspaceRecovered.newBuilder()
                .setReplayedCommands(replayed)
                .setRecoveryMs(millis)
                .setPreviousWorker(state.getOwnerWorker())
                .build());
    }

    private static void replay(Workspace workspace, ActionBatch batch) throws WorkspaceException {
        List<Action> actions = batch.getActions();
        for (int i = 0; i < actions.size(); i++) {
            ActionResult result = workspace.execute(actions.get(i), i);
            if (!result.getSuccess() && batch.getStopOnFailure()) {
                return;
            }
        }
    }

    /** A close for a workspace whose container is elsewhere: nothing to rebuild, just record it. */
    private CommandOutcome closeWithoutContainer(InboundCommand in, WorkspaceTable.Entry entry, CloseWorkspace close) {
        WorkspaceState next = advance(entry.state(), in, WorkspaceStatus.CLOSED);
        next.setContainerId(null);
        entry.update(next, null);
        var closed = WorkspaceClosed.newBuilder()
                .setReason(close.getReason())
                .setCommandsApplied(in.seq() + 1)
                .setLifetimeMs(0)
                .build();
        return CommandOutcome.of(List.of(events.answer(in, closed)), next);
    }

    /**
     * Closes a workspace that has been idle since before {@code cutoff}; runs on its lane. The
     * event answers no command ({@code command_seq} -1). Empty when it is no longer idle or live.
     */
    public java.util.Optional<CommandOutcome> closeIdle(String workspaceId, Instant cutoff) {
        var entry = table.get(workspaceId);
        if (entry.isEmpty() || entry.get().live().isEmpty() || !entry.get().lastActivity().isBefore(cutoff)) {
            return java.util.Optional.empty();
        }
        WorkspaceTable.Entry known = entry.get();
        Workspace live = known.detach();
        if (live == null) {
            return java.util.Optional.empty();
        }
        live.close();
        workspacePermits.release();
        WorkspaceState previous = known.state();
        WorkspaceState next = WorkspaceState.newBuilder(previous)
                .setStatus(WorkspaceStatus.CLOSED)
                .setContainerId(null)
                .setOwnerWorker(events.workerId())
                .setUpdatedAt(events.clock().instant())
                .build();
        long lifetime = Duration.between(known.createdAt(), events.clock().instant()).toMillis();
        known.update(next, null);
        log.info("closed workspace {}: idle since {}", workspaceId, known.lastActivity());
        var closed = WorkspaceClosed.newBuilder()
                .setReason("idle")
                .setCommandsApplied(previous.getLastAppliedSeq() + 1)
                .setLifetimeMs(lifetime)
                .build();
        return java.util.Optional.of(CommandOutcome.of(
                List.of(events.envelope(workspaceId, previous.getRunId(), -1, closed)), next));
    }

    /**
     * After a command whose partition went away while it ran: removes what that command left in
     * the table (its entry and container), but not an entry restored since, when the partition
     * came back to this worker with the state another worker had committed meanwhile. Runs on
     * the workspace's lane.
     */
    public void forgetLeftBy(String workspaceId, CommandOutcome outcome) {
        outcome.newState().flatMap(left -> table.removeIfState(workspaceId, left))
                .map(WorkspaceTable.Entry::release)
                .ifPresent(live -> {
                    live.close();
                    workspacePermits.release();
                });
    }

    /**
     * Lets go of the workspaces of command partitions this worker no longer owns: their
     * containers are removed and their entries forgotten; the new owner rebuilds them.
     *
     * @return how many containers were removed
     */
    public int release(java.util.Collection<Integer> partitions) {
        int removed = 0;
        for (WorkspaceTable.Entry entry : table.removePartitions(partitions)) {
            Workspace live = entry.release();
            if (live != null) {
                live.close();
                workspacePermits.release();
                removed++;
            }
        }
        return removed;
    }

    private CommandOutcome fail(InboundCommand in, WorkspaceTable.Entry entry, String stage, String reason,
            Throwable cause) {
        log.warn("workspace failed at {}: {}", stage, reason);
        Workspace live = entry.detach();
        if (live != null) {
            live.close();
            workspacePermits.release();
        }
        metrics.recordContainerFailure();
        WorkspaceState next = advance(entry.state(), in, WorkspaceStatus.FAILED);
        next.setContainerId(null);
        entry.update(next, null);
        return CommandOutcome.of(List.of(events.failed(in, stage, reason, cause)), next);
    }

    private CommandOutcome reject(InboundCommand in, RejectionStage stage, String reason) {
        log.warn("rejected {} seq {} at {}-{}@{}: {}", in.kind(), in.seq(), in.topic(), in.partition(), in.offset(),
                reason);
        metrics.recordRejected(stage.name());
        return CommandOutcome.eventsOnly(List.of(events.rejected(in, stage, reason)));
    }

    private WorkspaceState state(InboundCommand in, InboundCommand create, WorkspaceStatus status, String containerId) {
        return WorkspaceState.newBuilder()
                .setWorkspaceId(in.workspaceId())
                .setRunId(in.runId())
                .setStatus(status)
                .setOwnerWorker(events.workerId())
                .setContainerId(containerId)
                .setCreatePartition(create.partition())
                .setCreateOffset(create.offset())
                .setLastAppliedSeq(in.seq())
                .setLastAppliedOffset(in.offset())
                .setUpdatedAt(events.clock().instant())
                .build();
    }

    private WorkspaceState advance(WorkspaceState previous, InboundCommand in, WorkspaceStatus status) {
        return WorkspaceState.newBuilder(previous)
                .setStatus(status)
                .setOwnerWorker(events.workerId())
                .setLastAppliedSeq(in.seq())
                .setLastAppliedOffset(in.offset())
                .setUpdatedAt(Instant.now(events.clock()))
                .build();
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
