package io.mechanize.worker.consume;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceFailed;
import io.mechanize.schemas.wire.SchemaRegistryException;
import io.mechanize.worker.command.CommandHandler;
import io.mechanize.worker.command.CommandOutcome;
import io.mechanize.worker.command.Events;
import io.mechanize.worker.command.InboundCommand;
import io.mechanize.worker.command.WorkspaceTable;
import io.mechanize.worker.dispatch.KeyedDispatcher;
import io.mechanize.worker.observe.FleetMetrics;
import io.mechanize.worker.observe.LogContext;
import io.mechanize.worker.publish.Completion;
import io.mechanize.worker.publish.DeadLetters;
import io.mechanize.worker.publish.RecordFactory;
import io.mechanize.worker.publish.TransactionalPublisher;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polling thread: takes commands from {@code mechanize.commands}, hands each to its
 * workspace's lane, and publishes finished commands' records with their offsets in one
 * transaction. It never runs a command itself, so a slow container cannot push it past
 * {@code max.poll.interval.ms}; when the worker is full it pauses its partitions and keeps
 * polling to stay in the group.
 */
public final class CommandLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(CommandLoop.class);
    /**
     * How long a poll waits for commands. A command that finishes wakes the poll, so this bounds
     * only how late the loop's own chores run (a rejoin's held results, idle closes, the lag).
     */
    private static final Duration POLL = Duration.ofMillis(100);

    private final Consumer<byte[], byte[]> consumer;
    private final TransactionalPublisher publisher;
    private final CommandDecoder decoder;
    private final KeyedDispatcher dispatcher;
    private final CommandHandler handler;
    private final RecordFactory records;
    private final Events events;
    private final Semaphore workspacePermits;
    private final FleetMetrics metrics;
    private final Clock clock;
    private final int maxInFlight;
    private final Duration shutdownGrace;
    private final WorkspaceTable table;
    private final StateRestorer restorer;
    private final Duration idleTimeout;
    private Instant nextHousekeeping = Instant.EPOCH;
    private Instant lastRegistryWarning = Instant.EPOCH;

    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    /**
     * Per partition, how many times this worker has lost it. A command taken in an earlier epoch
     * and still queued on a lane when its partition went away must not run: the new owner (maybe
     * this worker again, re-reading from the committed offset) runs it.
     */
    private final ConcurrentHashMap<TopicPartition, Integer> epochs =
            new ConcurrentHashMap<>();
    private final OffsetTracker offsets = new OffsetTracker();
    /** Completions whose transaction the group refused: published again after the rejoin (see {@link #hold}). */
    private final List<Completion> held = new ArrayList<>();
    /** The generation the refused transaction carried; a newer one means the consumer has rejoined. */
    private int heldGeneration = -1;
    /**
     * Partitions being handed over (revoked, or the worker stopping): their queued commands are
     * not started, so the next owner runs them without waiting for this worker to work through
     * its backlog; commands already running finish and are published.
     */
    private final Set<TopicPartition> draining = ConcurrentHashMap.newKeySet();
    /** Per partition, commands that passed the draining check and have not yet handed in their completion. */
    private final ConcurrentHashMap<TopicPartition, AtomicInteger>
            running = new ConcurrentHashMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final LagSampler lag;
    private volatile boolean stopping;
    private volatile Throwable failure;
    private boolean paused;

    public CommandLoop(Consumer<byte[], byte[]> consumer, TransactionalPublisher publisher, CommandDecoder decoder,
            KeyedDispatcher dispatcher, CommandHandler handler, RecordFactory records, Events events,
            Semaphore workspacePermits, FleetMetrics metrics, int maxInFlight, Duration shutdownGrace,
            WorkspaceTable table, StateRestorer restorer, Duration idleTimeout) {
        this.table = table;
        this.restorer = restorer;
        this.idleTimeout = idleTimeout;
        this.consumer = consumer;
        this.publisher = publisher;
        this.decoder = decoder;
        this.dispatcher = dispatcher;
        this.handler = handler;
        this.records = records;
        this.events = events;
        this.workspacePermits = workspacePermits;
        this.metrics = metrics;
        this.clock = events.clock();
        this.maxInFlight = maxInFlight;
        this.shutdownGrace = shutdownGrace;
        this.lag = new LagSampler(metrics, clock);
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(Topics.COMMANDS), new Rebalance());
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> batch;
                try {
                    batch = consumer.poll(POLL);
                } catch (WakeupException e) {
                    if (stopping) {
                        break;
                    }
                    batch = ConsumerRecords.empty(); // a command finished: publish it now
                }
                Set<TopicPartition> deferred = new HashSet<>();
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    if (!deferred.contains(tp) && !accept(tp, record)) {
                        deferred.add(tp);
                        consumer.seek(tp, record.offset());
                    }
                }
                flush();
                applyBackpressure();
                housekeeping();
                lag.sample(consumer);
            }
            finishInFlight();
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error("command loop stopped by an unexpected error", e);
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("closing the consumer failed", e);
            }
            publisher.close();
            stopped.countDown();
        }
    }

    /** Asks the loop to stop taking commands, finish in-flight ones within the grace, and commit. */
    public void stop() {
        stopping = true;
        consumer.wakeup();
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The error that ended the loop, if any. */
    public Throwable failure() {
        return failure;
    }

    public boolean isRunning() {
        return stopped.getCount() > 0;
    }

    /**
     * Hands one record on. Returns false when it must be read again later (the schema registry
     * could not answer): the caller seeks back and skips the rest of the partition's batch.
     */
    private boolean accept(TopicPartition tp, ConsumerRecord<byte[], byte[]> record) {
        DecodedRecord decoded;
        try {
            decoded = decoder.decode(record);
        } catch (SchemaRegistryException e) {
            Instant now = clock.instant();
            if (Duration.between(lastRegistryWarning, now).toSeconds() >= 10) {
                log.warn("cannot decode {}@{} now, will retry: {}", tp, record.offset(), e.getMessage());
                lastRegistryWarning = now;
            }
            return false;
        }
        offsets.started(tp, record.offset());
        metrics.recordCommandConsumed();
        switch (decoded) {
            case DecodedRecord.Valid valid -> {
                var in = new InboundCommand(valid.command(), record.topic(), record.partition(), record.offset(),
                        clock.instant());
                int epoch = epoch(tp);
                dispatcher.submit(in.workspaceId(), () -> runCommand(tp, epoch, in, record));
            }
            case DecodedRecord.Invalid invalid -> {
                log.warn("rejected record {}@{}: {}", tp, record.offset(), invalid.reason());
                metrics.recordRejected(invalid.stage().name());
                var command = invalid.command();
                SimulationEvent event = events.envelope(invalid.workspaceId(),
                        command == null ? "" : command.getRunId(), command == null ? -1 : command.getSeq(),
                        CommandRejected.newBuilder()
                                .setReason(invalid.reason())
                                .setStage(invalid.stage())
                                .setSourceTopic(record.topic())
                                .setSourcePartition(record.partition())
                                .setSourceOffset(record.offset())
                                .setExceptionClass(invalid.cause() == null ? null : invalid.cause().getClass().getName())
                                .build());
                int epoch = epoch(tp);
                Completion rejection = Completion.ofCommand(tp, record.offset(), epoch, List.of(
                        records.event(invalid.workspaceId(), event),
                        DeadLetters.of(record, invalid.stage(), invalid.reason(), invalid.cause(), events.workerId())));
                if (invalid.workspaceId().isEmpty()) {
                    completions.add(rejection);
                } else {
                    // through the workspace's lane, so its events keep the order of its commands
                    dispatcher.submit(invalid.workspaceId(), () -> {
                        if (epoch(tp) == epoch) {
                            completions.add(rejection);
                        }
                    });
                }
            }
        }
        return true;
    }

    private int epoch(TopicPartition tp) {
        return epochs.getOrDefault(tp, 0);
    }

    /** Runs on the workspace's lane. */
    private void runCommand(TopicPartition tp, int epoch, InboundCommand in, ConsumerRecord<byte[], byte[]> record) {
        var count = running.computeIfAbsent(tp, p -> new AtomicInteger());
        count.incrementAndGet(); // before the draining check: a hand-over waits for every command that passed it
        try {
            if (draining.contains(tp)) {
                log.debug("not starting {} seq {} of {}: the partition is being handed over", in.kind(), in.seq(), tp);
                return;
            }
            runOwned(tp, epoch, in, record);
        } finally {
            count.decrementAndGet();
        }
    }

    private void runOwned(TopicPartition tp, int epoch, InboundCommand in, ConsumerRecord<byte[], byte[]> record) {
        try (var ignored = LogContext.forWorkspace(in.workspaceId(), in.runId())) {
            if (Thread.currentThread().isInterrupted()) {
                return; // the worker stopped after its grace: what is still queued is abandoned
            }
            if (epoch(tp) != epoch) {
                log.debug("not running {} seq {}: its partition {} was revoked after it was taken", in.kind(), in.seq(), tp);
                return;
            }
            metrics.recordQueueWait(Duration.between(in.consumedAt(), clock.instant()));
            CommandOutcome outcome;
            try {
                outcome = handler.handle(in, () -> epoch(tp) == epoch && !draining.contains(tp));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.info("abandoned {} seq {}: worker is stopping", in.kind(), in.seq());
                return;
            } catch (RuntimeException e) {
                log.error("{} seq {} failed unexpectedly", in.kind(), in.seq(), e);
                outcome = CommandOutcome.eventsOnly(List.of(events.answer(in, WorkspaceFailed.newBuilder()
                        .setReason("internal error while handling " + in.kind() + ": " + e)
                        .setStage("worker")
                        .setExceptionClass(e.getClass().getName())
                        .build())));
            }
            if (outcome.movedAway()) {
                return; // its offset stays uncommitted: the partition's next owner runs it
            }
            List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(records.records(in.workspaceId(), outcome));
            for (SimulationEvent event : outcome.events()) {
                if (event.getBody() instanceof CommandRejected rejected) {
                    out.add(DeadLetters.of(record, rejected.getStage(), rejected.getReason(), null, events.workerId()));
                }
            }
            if (epoch(tp) != epoch) {
                // the partition went away while the command ran: its workspace now belongs elsewhere
                log.info("{} seq {} finished after {} was revoked: its results are dropped and its container removed",
                        in.kind(), in.seq(), tp);
                handler.forgetLeftBy(in.workspaceId(), outcome);
                return;
            }
            completions.add(Completion.ofCommand(tp, in.offset(), epoch, out));
            // the loop waits in poll; its result is published now, not when the poll times out (a
            // stopping loop waits on the completions themselves, and then closes the consumer)
            if (!stopping) {
                consumer.wakeup();
            }
        }
    }

    /** Publishes every finished command's records with the offsets they free, in one transaction. */
    private void flush() {
        flush(null);
    }

    private void flush(Completion first) {
        List<Completion> done = new ArrayList<>();
        ConsumerGroupMetadata group = consumer.groupMetadata();
        if (!held.isEmpty() && group.generationId() <= heldGeneration) {
            // not rejoined yet: anything finished meanwhile waits with them, in order
            if (first != null) {
                held.add(first);
            }
            completions.drainTo(held);
            return;
        }
        done.addAll(held);
        held.clear();
        if (first != null) {
            done.add(first);
        }
        completions.drainTo(done);
        if (done.isEmpty()) {
            return;
        }
        Set<TopicPartition> owned = consumer.assignment();
        List<Completion> kept = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (Completion c : done) {
            if (c.sourcePartition().isPresent()) {
                if (!owned.contains(c.source()) || c.epoch() != epoch(c.source())
                        || !offsets.isPending(c.source(), c.offset())) {
                    log.info("dropping the results of {}@{}: the partition moved to another worker", c.source(),
                            c.offset());
                    continue;
                }
                offsets.finished(c.source(), c.offset());
            }
            kept.add(c);
            out.addAll(c.records());
        }
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>(offsets.committable());
        // every partition whose results go out commits its offset too, moved or not: the offsets
        // carry the group generation, so a worker the group has dropped cannot commit results
        for (Completion c : kept) {
            if (c.sourcePartition().isPresent() && !commit.containsKey(c.source())) {
                Long at = offsets.current(c.source());
                if (at != null) {
                    commit.put(c.source(), new OffsetAndMetadata(at));
                }
            }
        }
        commit.keySet().retainAll(owned);
        try {
            if (!commit.isEmpty() && group.generationId() < 0) {
                // out of the group: offsets sent without a generation would not be fenced
                throw new TransactionalPublisher.GroupChangedException("this consumer has no group generation");
            }
            publisher.publish(out, commit, () -> group);
        } catch (TransactionalPublisher.GroupChangedException e) {
            hold(kept, group, e);
            return;
        }
        offsets.committed(commit);
    }

    /**
     * The group moved on under this worker (a rebalance began, a coordinator restarted) so the
     * transaction was aborted: nothing of it is visible. The completions are kept, with their
     * offsets pending again, and published once the consumer has rejoined with a newer
     * generation. By then each partition is either still this worker's (cooperative rebalancing
     * moves only revoked partitions, and nobody else can have run its commands) or was revoked
     * or lost, which bumps its epoch and drops its completions here: the new owner runs them
     * from the committed offset. Either way the containers that are ahead of the committed state
     * are kept only where their results will still be committed.
     */
    private void hold(List<Completion> kept, ConsumerGroupMetadata group, RuntimeException cause) {
        log.info("the consumer group moved on under a transaction of {} commands ({}); publishing them again after "
                + "the rejoin", kept.size(), cause.getMessage());
        for (Completion c : kept) {
            if (c.sourcePartition().isPresent()) {
                offsets.started(c.source(), c.offset());
            }
        }
        held.addAll(0, kept);
        heldGeneration = Math.max(heldGeneration, group.generationId());
    }

    private void applyBackpressure() {
        boolean full = dispatcher.inFlight() >= maxInFlight || workspacePermits.hasQueuedThreads();
        if (full) {
            Set<TopicPartition> assignment = consumer.assignment();
            if (!paused) {
                log.info("at capacity ({} commands in flight, {} waiting for a workspace slot): pausing {} partitions",
                        dispatcher.inFlight(), workspacePermits.getQueueLength(), assignment.size());
            }
            consumer.pause(assignment);
            paused = true;
        } else if (paused) {
            consumer.resume(consumer.paused());
            paused = false;
            log.info("below capacity: resumed partitions");
        }
    }

    /** Every few seconds: close idle workspaces (through their lanes) and forget old finished ones. */
    private void housekeeping() {
        Instant now = clock.instant();
        if (now.isBefore(nextHousekeeping)) {
            return;
        }
        nextHousekeeping = now.plusSeconds(5);
        Instant cutoff = now.minus(idleTimeout);
        for (String workspaceId : table.idleSince(cutoff)) {
            dispatcher.submit(workspaceId, () -> closeIdle(workspaceId, cutoff));
        }
        table.evictFinished(now.minus(Duration.ofHours(1)));
    }

    private void closeIdle(String workspaceId, Instant cutoff) {
        var state = table.get(workspaceId).map(WorkspaceTable.Entry::state).orElse(null);
        try (var ignored = LogContext.forWorkspace(workspaceId, state == null ? "" : state.getRunId())) {
            handler.closeIdle(workspaceId, cutoff).ifPresent(outcome ->
                    completions.add(Completion.unsolicited(records.records(workspaceId, outcome))));
        }
    }

    /**
     * Hands {@code partitions} over: their queued commands are no longer started, and the ones
     * already running are waited for (within the grace) and published with their offsets. The
     * committed offset stays at the first command not run, so the next owner runs the rest; one
     * that finished beyond it is skipped there as already applied (its workspace state says so).
     *
     * @return how many commands were still running when the grace ended
     */
    private int handOver(Collection<TopicPartition> partitions) {
        draining.addAll(partitions);
        Instant deadline = clock.instant().plus(shutdownGrace);
        while (runningIn(partitions) > 0 && clock.instant().isBefore(deadline)) {
            try {
                flush(completions.poll(50, TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        flush();
        return runningIn(partitions);
    }

    private int runningIn(Collection<TopicPartition> partitions) {
        int n = 0;
        for (TopicPartition tp : partitions) {
            var count = running.get(tp);
            n += count == null ? 0 : count.get();
        }
        return n;
    }

    /** The end of a hand-over: the partitions' commands are fenced by a new epoch and may start again if they come back. */
    private void handedOver(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> epochs.merge(tp, 1, Integer::sum));
        partitions.forEach(offsets::forget);
        draining.removeAll(partitions);
    }

    private void finishInFlight() {
        Set<TopicPartition> assignment = consumer.assignment();
        consumer.pause(assignment);
        int left = handOver(assignment);
        if (left > 0) {
            log.warn("{} commands still running after the {} grace: abandoned, they will be redelivered", left,
                    shutdownGrace);
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            log.info("partitions revoked: {}; finishing their running commands, leaving the queued ones to the next owner",
                    partitions);
            metrics.recordPartitionsRevoked(partitions.size(), false);
            if (!stopping) {
                int left = handOver(partitions); // on shutdown finishInFlight already did, within the grace
                if (left > 0) {
                    log.warn("{} commands of {} still running after the {} grace: their results will be dropped",
                            left, partitions, shutdownGrace);
                }
            }
            handedOver(partitions);
            int removed = handler.release(partitions.stream().map(TopicPartition::partition).toList());
            log.info("released the workspaces of {}: {} containers removed", partitions, removed);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            var states = restorer.restore(partitions);
            states.forEach(table::restore);
            log.info("partitions assigned: {}; restored the state of {} workspaces", partitions, states.size());
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            log.warn("partitions lost: {}", partitions);
            metrics.recordPartitionsRevoked(partitions.size(), true);
            handedOver(partitions);
            handler.release(partitions.stream().map(TopicPartition::partition).toList());
        }
    }
}
