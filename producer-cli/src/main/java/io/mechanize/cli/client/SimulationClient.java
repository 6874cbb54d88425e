package io.mechanize.cli.client;

import static java.util.Objects.requireNonNull;

import io.mechanize.cli.client.CommandFailedException.Reason;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import io.mechanize.worker.WorkerConfig;
import io.mechanize.worker.consume.TopicBootstrap;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client for interactive agent loops: create a workspace, act in it, look at the results,
 * act again, evaluate, close; each call returns a future of the command's answer.
 *
 * <pre>{@code
 * try (SimulationClient client = SimulationClient.connect(cluster)) {
 *     String ws = client.createWorkspace(Task.named("fix").file("a.py", src)).join().workspaceId();
 *     CommandReply.Executed run = client.execute(ws, Actions.batch().test("python3 -m pytest -q", "pytest")).join();
 *     client.close(ws).join();
 * }
 * }</pre>
 *
 * <p>It numbers each workspace's commands (seq 0 = create, then 1, 2, ...) and sends them in that
 * order under a per-workspace lock, keyed by workspace id; calls for different workspaces go on
 * concurrently from any number of threads. One background consumer reads {@code mechanize.results}
 * ({@code read_committed}, every partition assigned, no group), positioned at the end before the
 * first command is sent, and answers futures by (workspace id, command seq). A command fails with
 * a {@link CommandFailedException}: rejected, workspace failed, timed out (per command, from
 * {@link Options#commandTimeout()}), not sent, or the client closed.
 *
 * <p>A command may be sent before the previous one of its workspace was answered: the worker runs
 * them in seq order anyway. The worker applies no rejected command: when nothing was sent after
 * it, the next command reuses its seq. A rejection with later commands in flight, or a failed
 * send, leaves a gap in the workspace's seqs, so the workspace refuses further commands here with
 * the reason.
 */
public final class SimulationClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SimulationClient.class);
    private static final Duration POLL = Duration.ofMillis(100);

    /**
     * @param commandTimeout how long a command may wait for its answer (create includes container start)
     * @param runId the run id every command carries, so {@code results}, {@code export} and the
     *     dashboard can find this session's workspaces
     * @param createTopics create the fleet's topics when missing (as {@code run} and the workers do)
     */
    public record Options(Duration commandTimeout, String runId, boolean createTopics, Clock clock) {
        public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMinutes(5);

        public Options {
            requireNonNull(commandTimeout, "commandTimeout is null");
            requireNonNull(runId, "runId is null");
            requireNonNull(clock, "clock is null");
            if (commandTimeout.isNegative() || commandTimeout.isZero()) {
                throw new IllegalArgumentException("commandTimeout must be positive, got " + commandTimeout);
            }
        }

        public static Options defaults() {
            Clock clock = Clock.systemUTC();
            return new Options(DEFAULT_COMMAND_TIMEOUT, RunPlan.newRunId(clock), true, clock);
        }

        public Options withCommandTimeout(Duration timeout) {
            return new Options(timeout, runId, createTopics, clock);
        }

        public Options withRunId(String id) {
            return new Options(commandTimeout, id, createTopics, clock);
        }
    }

    /** A workspace's next seq; its monitor orders the sends. */
    private static final class Lane {
        long nextSeq;
        String brokenBecause;
    }

    private final Cluster cluster;
    private final Options options;
    private final RestSchemaRegistryClient registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerializer<SimulationCommand> commands;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ResultDecoder events;
    private final ExecutorService completions = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("mechanize-reply-", 0).factory());
    private final PendingReplies replies = new PendingReplies(completions, this::rejected);
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final AtomicLong workspaceCounter = new AtomicLong();
    private final Thread reader;
    private volatile boolean closing;
    private volatile Throwable readerFailure;

    public static SimulationClient connect(Cluster cluster) {
        return new SimulationClient(cluster, Options.defaults());
    }

    public SimulationClient(Cluster cluster, Options options) {
        this.cluster = requireNonNull(cluster, "cluster is null");
        this.options = requireNonNull(options, "options is null");
        if (options.createTopics()) {
            try (Admin admin = Admin.create(cluster.clientProperties())) {
                TopicBootstrap.ensureTopics(admin, WorkerConfig.DEFAULT_PARTITIONS, (short) 0,
                        cluster.bootstrapServers());
            }
        }
        this.registry = cluster.newRegistryClient();
        this.commands = new AvroSerializer<>(registry, SimulationCommand.getClassSchema());
        this.events = new ResultDecoder(new AvroDeserializer<>(registry, SimulationEvent.class));
        this.consumer = openResultsAtEnd(cluster);
        this.producer = new KafkaProducer<>(cluster.producerProperties(2));
        this.reader = Thread.ofPlatform().daemon().name("mechanize-simulation-client-results").start(this::readResults);
    }

    private static KafkaConsumer<byte[], byte[]> openResultsAtEnd(Cluster cluster) {
        Properties props = cluster.readCommittedConsumerProperties();
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.RESULTS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + Topics.RESULTS + " does not exist on "
                        + cluster.bootstrapServers());
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30))); // resolve the end now
            return consumer;
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /** The run id every command of this client carries. */
    public String runId() {
        return options.runId();
    }

    /** Commands sent and not yet answered. */
    public int pendingCommands() {
        return replies.size();
    }

    public CompletableFuture<CommandReply.Created> createWorkspace(Task task) {
        return createWorkspace(task.build(), WorkspaceOptions.defaults());
    }

    public CompletableFuture<CommandReply.Created> createWorkspace(TaskSpec task, WorkspaceOptions options) {
        String id = this.options.runId() + "-" + String.format("%05d", workspaceCounter.getAndIncrement()) + "-"
                + task.getTaskId().replaceAll("[^A-Za-z0-9_.-]", "_");
        return createWorkspace(id, task, options);
    }

    /** Creates a workspace with an id of the caller's choosing; it must be new to the fleet. */
    public CompletableFuture<CommandReply.Created> createWorkspace(String workspaceId, TaskSpec task,
            WorkspaceOptions options) {
        Lane lane = new Lane();
        if (lanes.putIfAbsent(workspaceId, lane) != null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "workspace " + workspaceId + " was already created by this client"));
        }
        CreateWorkspace create = CreateWorkspace.newBuilder().setTask(task).setImage(options.image())
                .setLimits(options.limits()).setPolicy(options.policy()).build();
        return send(workspaceId, create, CommandReply.Created.class);
    }

    public CompletableFuture<CommandReply.Executed> execute(String workspaceId, Actions batch) {
        return execute(workspaceId, batch.build());
    }

    public CompletableFuture<CommandReply.Executed> execute(String workspaceId, List<Action> actions) {
        return execute(workspaceId, ActionBatch.newBuilder().setActions(List.copyOf(actions)).build());
    }

    public CompletableFuture<CommandReply.Executed> execute(String workspaceId, ActionBatch batch) {
        if (batch.getActions().isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a batch needs at least one action"));
        }
        return send(workspaceId, batch, CommandReply.Executed.class);
    }

    /** Evaluates with the task's own criteria. */
    public CompletableFuture<CommandReply.Evaluated> evaluate(String workspaceId) {
        return send(workspaceId, new EvaluateWorkspace(null), CommandReply.Evaluated.class);
    }

    /** Evaluates with these criteria instead of the task's. */
    public CompletableFuture<CommandReply.Evaluated> evaluate(String workspaceId, List<EvaluationCriterion> criteria) {
        return send(workspaceId, new EvaluateWorkspace(List.copyOf(criteria)), CommandReply.Evaluated.class);
    }

    /** Closes the workspace (its container is removed); no command can follow. */
    public CompletableFuture<CommandReply.Closed> close(String workspaceId) {
        return close(workspaceId, "requested");
    }

    public CompletableFuture<CommandReply.Closed> close(String workspaceId, String reason) {
        CompletableFuture<CommandReply.Closed> closed = send(workspaceId, new CloseWorkspace(reason),
                CommandReply.Closed.class);
        closed.whenComplete((reply, failure) -> lanes.remove(workspaceId));
        return closed;
    }

    private <R extends CommandReply> CompletableFuture<R> send(String workspaceId, Object body, Class<R> reply) {
        Lane lane = lanes.get(workspaceId);
        if (lane == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("unknown workspace " + workspaceId
                    + ": create it with this client first (or it was closed)"));
        }
        CompletableFuture<CommandReply> answer;
        synchronized (lane) {
            if (closing || readerFailure != null) {
                return CompletableFuture.failedFuture(new CommandFailedException(Reason.CLIENT_CLOSED, workspaceId,
                        lane.nextSeq, readerFailure == null ? "the client is closed"
                                : "the results consumer stopped: " + readerFailure, null, readerFailure));
            }
            if (lane.brokenBecause != null) {
                return CompletableFuture.failedFuture(new CommandFailedException(Reason.NOT_SENT, workspaceId,
                        lane.nextSeq, "this workspace's seqs have a gap (" + lane.brokenBecause
                                + "), so the worker would refuse every later command", null, null));
            }
            long seq = lane.nextSeq++;
            SimulationCommand command = SimulationCommand.newBuilder().setWorkspaceId(workspaceId)
                    .setRunId(options.runId()).setSeq(seq).setSubmittedAt(options.clock().instant()).setBody(body)
                    .build();
            answer = replies.register(command, options.clock().instant(), options.commandTimeout());
            try {
                byte[] value = commands.serialize(Topics.COMMANDS, command);
                producer.send(new ProducerRecord<>(Topics.COMMANDS, workspaceId.getBytes(StandardCharsets.UTF_8),
                        value), (metadata, error) -> {
                            if (error != null) {
                                notSent(lane, workspaceId, seq, error);
                            }
                        });
            } catch (RuntimeException e) {
                notSent(lane, workspaceId, seq, e);
            }
            if (closing) { // close() may have swept the table just before this command entered it
                replies.fail(workspaceId, seq, new CommandFailedException(Reason.CLIENT_CLOSED, workspaceId, seq,
                        "the client was closed before the answer came", null, null));
            }
        }
        return answer.thenApply(reply::cast);
    }

    /**
     * The worker applies no rejected command, so it still expects that seq. When nothing was sent
     * after it, the next command takes the seq again; otherwise the commands in flight after it are
     * rejected as gaps and the workspace takes no more commands here.
     */
    private void rejected(String workspaceId, long seq) {
        Lane lane = lanes.get(workspaceId);
        if (lane == null) {
            return;
        }
        synchronized (lane) {
            if (lane.nextSeq == seq + 1) {
                lane.nextSeq = seq;
            } else if (lane.nextSeq > seq + 1 && lane.brokenBecause == null) {
                lane.brokenBecause = "seq " + seq + " was rejected while later commands were in flight";
            }
        }
    }

    private void notSent(Lane lane, String workspaceId, long seq, Throwable error) {
        synchronized (lane) {
            lane.brokenBecause = "seq " + seq + ": " + error.getMessage();
        }
        log.warn("command seq {} of {} was not sent: {}", seq, workspaceId, error.toString());
        replies.fail(workspaceId, seq, new CommandFailedException(Reason.NOT_SENT, workspaceId, seq,
                "the broker at " + cluster.bootstrapServers() + " did not take the command: " + error.getMessage(),
                null, error));
    }

    /** The background consumer: answers futures, expires the late ones. */
    private void readResults() {
        try {
            while (!closing) {
                var records = consumer.poll(POLL);
                // before the answers: one that is seen after its command's deadline is late
                int expired = replies.expire(options.clock().instant());
                if (expired > 0) {
                    log.warn("{} commands had no answer within {}", expired, options.commandTimeout());
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (record.key() == null || !lanes.containsKey(new String(record.key(), StandardCharsets.UTF_8))) {
                        continue; // not one of ours: not worth decoding
                    }
                    events.decode(record).ifPresent(replies::accept);
                }
            }
        } catch (WakeupException e) {
            if (!closing) {
                stopReading(e);
            }
        } catch (RuntimeException | Error e) {
            stopReading(e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void stopReading(Throwable e) {
        log.error("the results consumer stopped; every waiting command fails", e);
        readerFailure = e;
        replies.failAll(Reason.CLIENT_CLOSED, "the results consumer stopped: " + e, e);
    }

    /** Stops reading results and fails every command still waiting; workspaces are left as they are. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        consumer.wakeup();
        try {
            reader.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int waiting = replies.size();
        replies.failAll(Reason.CLIENT_CLOSED, "the client was closed before the answer came", null);
        if (waiting > 0) {
            log.info("closed with {} commands unanswered", waiting);
        }
        producer.close(Duration.ofSeconds(5));
        registry.close();
        completions.shutdown();
    }
}
