package io.mechanize.cli.bench;

import io.mechanize.cli.client.Cluster;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.TestRunAction;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The benchmark's own producer and results reader: sends single commands with their seq, and
 * stamps every result event with the moment the reader saw it ({@code System.nanoTime}), so that
 * submit-to-result latency is measured on one clock.
 */
final class BenchClient implements AutoCloseable {
    /** A result event and when it reached this reader. */
    record Arrival(SimulationEvent event, long arrivedNanos) {}

    private final RestSchemaRegistryClient registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerializer<SimulationCommand> commands;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroDeserializer<SimulationEvent> events;
    private final LinkedBlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
    private final Map<String, AtomicLong> nextSeq = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;
    final String runId;

    BenchClient(Cluster cluster, String runId) {
        this.runId = runId;
        this.registry = cluster.newRegistryClient();
        this.producer = new KafkaProducer<>(cluster.producerProperties(0));
        this.commands = new AvroSerializer<>(registry, SimulationCommand.getClassSchema());
        // the broker answers a fetch as soon as a commit makes records readable; a short
        // fetch.max.wait would only make it answer empty fetches hundreds of times a second
        this.consumer = new KafkaConsumer<>(cluster.readCommittedConsumerProperties());
        this.events = new AvroDeserializer<>(registry, SimulationEvent.class);
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.RESULTS, Duration.ofSeconds(30)).stream()
                .map(x -> new TopicPartition(x.topic(), x.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        this.reader = Thread.ofPlatform().name("bench-results").daemon().start(this::read);
    }

    private void read() {
        while (running) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                long now = System.nanoTime();
                SimulationEvent e = events.deserialize(r.topic(), r.value());
                if (runId.equals(e.getRunId())) {
                    arrivals.add(new Arrival(e, now));
                }
            }
        }
    }

    /** The next arrival, or null after {@code timeout}. */
    Arrival next(Duration timeout) throws InterruptedException {
        return arrivals.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Sends one command for {@code workspaceId} with its next seq; returns the send time ({@code nanoTime}). */
    long send(String workspaceId, Object body) {
        long seq = nextSeq.computeIfAbsent(workspaceId, k -> new AtomicLong()).getAndIncrement();
        SimulationCommand command = SimulationCommand.newBuilder().setWorkspaceId(workspaceId).setRunId(runId)
                .setSeq(seq).setSubmittedAt(Instant.now()).setBody(body).build();
        byte[] value = commands.serialize(Topics.COMMANDS, command);
        long sent = System.nanoTime();
        producer.send(new ProducerRecord<>(Topics.COMMANDS, workspaceId.getBytes(StandardCharsets.UTF_8), value));
        return sent;
    }

    void flush() {
        producer.flush();
    }

    static CreateWorkspace create(String taskId, BenchOptions options) {
        return create(taskId, options, null);
    }

    /** @param snapshot an inline snapshot, or null for an empty one */
    static CreateWorkspace create(String taskId, BenchOptions options, InlineSnapshot snapshot) {
        return CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId(taskId).setSnapshot(snapshot)
                        .setEvaluationCriteria(List.of(EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND)
                                .setCommand("true").build()))
                        .build())
                .setLimits(ResourceLimits.newBuilder().build())
                .setPolicy(SandboxPolicy.newBuilder().setRuntime(options.runtime()).build())
                .setImage(options.image())
                .build();
    }

    /**
     * A small repository: {@code files} Python modules of about 1.5 KB each in a few packages,
     * the size of a SWE-bench task's touched files rather than of a whole repository.
     */
    static InlineSnapshot smallRepository(int files) {
        Map<String, String> contents = new java.util.TreeMap<>();
        for (int i = 0; i < files; i++) {
            StringBuilder text = new StringBuilder("\"\"\"Module " + i + " of the benchmark's snapshot.\"\"\"\n\n");
            for (int f = 0; f < 30; f++) {
                text.append("def f").append(f).append("(x):\n    return x * ").append(f).append(" + ").append(i).append("\n");
            }
            contents.put("pkg" + (i % 4) + "/mod" + i + ".py", text.toString());
        }
        return InlineSnapshot.newBuilder().setFiles(contents).build();
    }

    static ActionBatch trues(int count) {
        List<Action> actions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            actions.add(Action.newBuilder().setActionId("a" + i)
                    .setPayload(TerminalCommandAction.newBuilder().setCommand("true").build()).build());
        }
        return ActionBatch.newBuilder().setActions(actions).build();
    }

    /** One command that sleeps {@code seconds}: a session waiting for a long command (a build, a test suite). */
    static ActionBatch sleep(int seconds) {
        return ActionBatch.newBuilder().setActions(List.of(Action.newBuilder().setActionId("long")
                .setPayload(TerminalCommandAction.newBuilder().setCommand("sleep " + seconds).build()).build())).build();
    }

    /**
     * A file written, then read back {@code reads} times: FILE_EDIT actions, which run the
     * in-container helper, where {@link #trues} run through the shell session's driver alone.
     */
    static ActionBatch fileReads(int reads) {
        return writeThen("bench.txt", "one line\n", reads,
                () -> FileEditAction.newBuilder().setFilePath("bench.txt").setOperation("read").build());
    }

    /** A one-test pytest module, written, then run {@code runs} times as TEST_RUN actions. */
    static ActionBatch testRuns(int runs) {
        return writeThen("test_bench.py", "def test_one():\n    assert 1 + 1 == 2\n", runs,
                () -> TestRunAction.newBuilder().setCommand("python3 -m pytest -q -p no:cacheprovider test_bench.py")
                        .setFramework("pytest").build());
    }

    /** A write of {@code path}, then {@code times} actions of {@code payload}. */
    private static ActionBatch writeThen(String path, String content, int times, java.util.function.Supplier<Object> payload) {
        List<Action> actions = new ArrayList<>(times + 1);
        actions.add(Action.newBuilder().setActionId("w")
                .setPayload(FileEditAction.newBuilder().setFilePath(path).setOperation("write").setContent(content).build())
                .build());
        for (int i = 0; i < times; i++) {
            actions.add(Action.newBuilder().setActionId("a" + i).setPayload(payload.get()).build());
        }
        return ActionBatch.newBuilder().setActions(actions).build();
    }

    static EvaluateWorkspace evaluate() {
        return EvaluateWorkspace.newBuilder().build();
    }

    static CloseWorkspace closeCommand() {
        return CloseWorkspace.newBuilder().setReason("bench").build();
    }

    @Override
    public void close() {
        running = false;
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        consumer.close(Duration.ofSeconds(2));
        registry.close();
    }
}
