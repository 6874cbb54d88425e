package io.mechanize.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.registry.EmbeddedSchemaRegistry;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The walking skeleton end to end on real parts: a Kafka broker in a container (Testcontainers),
 * the registry, a worker in this JVM, and workspaces on the local Docker engine.
 */
@Tag("integration")
@Timeout(240)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerKafkaIT {
    private final KafkaContainer kafka = new KafkaContainer("apache/kafka:4.4.0");
    private EmbeddedSchemaRegistry registry;
    private Worker worker;
    private RestSchemaRegistryClient registryClient;
    private KafkaProducer<byte[], byte[]> producer;
    private KafkaConsumer<byte[], byte[]> results;

    @BeforeAll
    void startFleet() {
        kafka.start();
        registry = EmbeddedSchemaRegistry.start(kafka.getBootstrapServers(), 0);
        WorkerConfig config = WorkerConfig.defaults(kafka.getBootstrapServers(), registry.url()).withPartitions(3)
                .withMaxWorkspaces(4).withMaxCommandBytes(64 * 1024).withMetricsPort(0);
        worker = Worker.start(config, LocalDocker.forWorker(config, Map.of("mechanize.test", "true")));
        registryClient = new RestSchemaRegistryClient(registry.url());

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        results = new KafkaConsumer<>(c);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> !results.partitionsFor(Topics.RESULTS, Duration.ofSeconds(5)).isEmpty());
        var partitions = results.partitionsFor(Topics.RESULTS).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        results.assign(partitions);
        results.seekToBeginning(partitions);
    }

    @AfterAll
    void stopFleet() {
        if (results != null) {
            results.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (worker != null) {
            worker.close();
        }
        if (registry != null) {
            registry.close();
        }
        kafka.stop();
    }

    @Test
    void aSimulationRunsThroughTheWorkerAndEveryCommandIsAnswered() {
        String ws = "ws-" + UUID.randomUUID();
        send(ws, 0, create("fix-fib", Map.of("fib.py", "print('hello')\n")));
        send(ws, 1, batch(
                fileAction("notes/todo.txt", "write", "first line\nsecond line\n"),
                fileAction("notes/todo.txt", "read", null),
                shell("python3 fib.py; echo oops >&2; exit 3", null),
                shell("sleep 30", 1),
                shell("echo still-alive", null),
                fileAction("../../etc/passwd", "read", null)));
        send(ws, 2, new EvaluateWorkspace(List.of(
                criterion("test -f notes/todo.txt"), criterion("grep -q absent notes/todo.txt"))));
        send(ws, 3, new CloseWorkspace("requested"));

        List<SimulationEvent> events = awaitEvents(ws, 9);

        assertThat(events).extracting(SimulationEvent::getCommandSeq).containsExactly(0L, 1L, 1L, 1L, 1L, 1L, 1L, 2L, 3L);
        assertThat(events).allMatch(e -> e.getWorkerId().equals(worker.workerId()));
        assertThat(events.get(0).getBody()).isInstanceOf(WorkspaceCreated.class);

        ActionResult write = (ActionResult) events.get(1).getBody();
        ActionResult read = (ActionResult) events.get(2).getBody();
        ActionResult failing = (ActionResult) events.get(3).getBody();
        ActionResult slow = (ActionResult) events.get(4).getBody();
        ActionResult after = (ActionResult) events.get(5).getBody();
        ActionResult escape = (ActionResult) events.get(6).getBody();
        assertThat(write.getSuccess()).isTrue();
        assertThat(read.getOutput()).isEqualTo("first line\nsecond line\n");
        assertThat(failing.getSuccess()).isFalse();
        assertThat(failing.getExitCode()).isEqualTo(3);
        assertThat(failing.getOutput()).isEqualTo("hello\n");
        assertThat(failing.getStderr()).contains("oops");
        assertThat(slow.getSuccess()).isFalse();
        assertThat(slow.getSecurityViolations()).extracting(v -> v.getType()).contains(ViolationType.TIMEOUT);
        assertThat(slow.getExecutionTimeMs()).isLessThan(10_000);
        assertThat(after.getSuccess()).isTrue();
        assertThat(after.getOutput()).isEqualTo("still-alive\n");
        assertThat(escape.getSuccess()).isFalse();
        assertThat(escape.getSecurityViolations()).extracting(v -> v.getType()).contains(ViolationType.PATH_ESCAPE);

        EvaluationMetrics verdict = (EvaluationMetrics) events.get(7).getBody();
        assertThat(verdict.getCriteriaResults()).extracting(r -> r.getPassed()).containsExactly(true, false);
        assertThat(verdict.getCompletionPercentage()).isEqualTo(50.0);
        assertThat(verdict.getPassed()).isFalse();
        assertThat(((WorkspaceClosed) events.get(8).getBody()).getCommandsApplied()).isEqualTo(4);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> worker.liveWorkspaces() == 0);
    }

    @Test
    void aProducerFencedByAnotherWithItsIdIsReplacedAndEveryResultArrivesOnce() throws Exception {
        String ws = "ws-" + UUID.randomUUID();
        send(ws, 0, create("fenced", Map.of("a.txt", "one\n")));
        send(ws, 1, batch(shell("echo before", null)));
        awaitEvents(ws, 2);

        // another producer with the worker's transactional id: the worker's producer is fenced
        // (as after a pause past the transaction timeout, or a second worker with the same id)
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "mechanize-worker-" + worker.workerId());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> usurper = new KafkaProducer<>(p)) {
            usurper.initTransactions();
        }

        send(ws, 2, batch(shell("echo after", null)));
        send(ws, 3, new CloseWorkspace("requested"));
        awaitEvents(ws, 4);
        Thread.sleep(3000); // anything sent twice would be read by now
        List<SimulationEvent> events = awaitEvents(ws, 4);

        assertThat(events).extracting(SimulationEvent::getCommandSeq).containsExactly(0L, 1L, 2L, 3L);
        assertThat(((ActionResult) events.get(2).getBody()).getOutput()).isEqualTo("after\n");
        assertThat(events.get(3).getBody()).isInstanceOf(WorkspaceClosed.class);
        assertThat(worker.isRunning()).as("the worker went on: %s", worker.failure()).isTrue();
    }

    @Test
    void everyKindOfBadInputIsRejectedWithADeadLetterAndThePartitionGoesOn() throws Exception {
        String ws = "bad-" + UUID.randomUUID();
        byte[] key = ws.getBytes(StandardCharsets.UTF_8);
        // 0: not Avro at all
        sendRaw(key, "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8));
        // 1: the right framing but a schema id the registry never issued
        sendRaw(key, new byte[] {0, 0, 0x0f, 0x42, 0x3f, 2, 4, 6});
        send(ws, 0, create("t", Map.of()));
        // 3: a wrong magic byte in front of an otherwise valid command
        byte[] valid = serialize(command(ws, 1, batch(shell("echo a", null))));
        valid[0] = 1;
        sendRaw(key, valid);
        // 4: decodes but invalid: a negative timeout, 5: an empty batch, 6: an unknown file operation
        send(ws, 1, batch(shell("echo a", -3)));
        send(ws, 1, ActionBatch.newBuilder().setActions(List.of()).build());
        send(ws, 1, batch(fileAction("a.txt", "explode", null)));
        // 7: a seq gap, 8: over the 64 KiB maximum
        send(ws, 5, new CloseWorkspace("requested"));
        send(ws, 1, batch(fileAction("big.txt", "write", "x".repeat(70 * 1024))));
        // 9: a command for a workspace that does not exist
        String ghost = "ghost-" + UUID.randomUUID();
        send(ghost, 1, batch(shell("echo", null)));
        // 10, 11: behind all of that, the workspace still works and closes; 12: then it is closed
        send(ws, 1, batch(shell("echo still-works", null)));
        send(ws, 2, new CloseWorkspace("requested"));
        send(ws, 3, batch(shell("echo too-late", null)));

        List<SimulationEvent> events = awaitEvents(ws, 12);
        List<String> reasons = events.stream().filter(e -> e.getBody() instanceof CommandRejected)
                .map(e -> ((CommandRejected) e.getBody()).getStage() + ": " + ((CommandRejected) e.getBody()).getReason())
                .toList();

        assertThat(reasons).hasSize(9);
        assertThat(reasons.get(0)).startsWith("DESERIALIZATION").contains("magic byte");
        assertThat(reasons.get(1)).startsWith("DESERIALIZATION").contains("unknown schema id 999999");
        assertThat(reasons.get(2)).startsWith("DESERIALIZATION").contains("magic byte 0x00 but found 0x01");
        assertThat(reasons.get(3)).startsWith("VALIDATION").contains("body.actions[0].payload.timeout: must be positive");
        assertThat(reasons.get(4)).startsWith("VALIDATION").contains("body.actions: must hold at least one action");
        assertThat(reasons.get(5)).startsWith("VALIDATION").contains("unknown file operation 'explode'");
        assertThat(reasons.get(6)).startsWith("SEQUENCING").contains("expected seq 1 but got 5");
        assertThat(reasons.get(7)).startsWith("SIZE").contains("over the maximum of 65536 bytes");
        assertThat(reasons.get(8)).startsWith("SEQUENCING").contains("is already closed");
        ActionResult works = (ActionResult) events.stream().filter(e -> e.getBody() instanceof ActionResult)
                .findFirst().orElseThrow().getBody();
        assertThat(works.getOutput()).isEqualTo("still-works\n");
        assertThat(events).anyMatch(e -> e.getBody() instanceof WorkspaceClosed);
        assertThat(((CommandRejected) awaitEvents(ghost, 1).get(0).getBody()).getReason())
                .contains("unknown workspace " + ghost);

        var letters = deadLetters(ws, 9);
        assertThat(letters).hasSize(9);
        var first = letters.get(0);
        assertThat(new String(first.value(), StandardCharsets.UTF_8)).isEqualTo("{\"not\": \"avro\"}");
        assertThat(header(first, "mechanize.error.topic")).isEqualTo(Topics.COMMANDS);
        assertThat(header(first, "mechanize.error.stage")).isEqualTo("DESERIALIZATION");
        assertThat(header(first, "mechanize.error.exception.class")).contains("WireFormatException");
        assertThat(header(first, "mechanize.error.exception.message")).contains("magic byte");
        assertThat(Long.parseLong(header(first, "mechanize.error.offset"))).isGreaterThanOrEqualTo(0);
        assertThat(Integer.parseInt(header(first, "mechanize.error.partition"))).isBetween(0, 2);
    }

    private List<ConsumerRecord<byte[], byte[]>> deadLetters(String workspaceId, int count) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (var dlq = new KafkaConsumer<byte[], byte[]>(c)) {
            var partitions = dlq.partitionsFor(Topics.COMMANDS_DLQ).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            dlq.assign(partitions);
            dlq.seekToBeginning(partitions);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : dlq.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && new String(r.key(), StandardCharsets.UTF_8).equals(workspaceId)) {
                        out.add(r);
                    }
                }
                return out.size() >= count;
            });
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var h = record.headers().lastHeader(name);
        assertThat(h).as("header " + name).isNotNull();
        return new String(h.value(), StandardCharsets.UTF_8);
    }

    private void sendRaw(byte[] key, byte[] value) {
        producer.send(new ProducerRecord<>(Topics.COMMANDS, key, value));
        producer.flush();
    }

    private byte[] serialize(SimulationCommand command) {
        return new AvroSerializer<SimulationCommand>(registryClient, SimulationCommand.getClassSchema())
                .serialize(Topics.COMMANDS, command);
    }

    private static SimulationCommand command(String workspaceId, long seq, Object body) {
        return SimulationCommand.newBuilder().setWorkspaceId(workspaceId).setRunId("it-run")
                .setSeq(seq).setSubmittedAt(Instant.now()).setBody(body).build();
    }

    private void send(String workspaceId, long seq, Object body) {
        sendRaw(workspaceId.getBytes(StandardCharsets.UTF_8), serialize(command(workspaceId, seq, body)));
    }

    private final List<SimulationEvent> seen = new ArrayList<>();

    private List<SimulationEvent> awaitEvents(String workspaceId, int count) {
        var deserializer = new AvroDeserializer<>(registryClient, SimulationEvent.class);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    for (ConsumerRecord<byte[], byte[]> r : results.poll(Duration.ofMillis(200))) {
                        seen.add(deserializer.deserialize(r.topic(), r.value()));
                    }
                    return seen.stream().filter(e -> e.getWorkspaceId().equals(workspaceId)).count() >= count;
                });
        return seen.stream().filter(e -> e.getWorkspaceId().equals(workspaceId)).toList();
    }

    private static CreateWorkspace create(String taskId, Map<String, String> files) {
        return CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId(taskId)
                        .setSnapshot(InlineSnapshot.newBuilder().setFiles(files).setBinaryFiles(Map.of()).build())
                        .build())
                .setLimits(ResourceLimits.newBuilder().setMemoryMb(256).build())
                .setPolicy(SandboxPolicy.newBuilder().build())
                .build();
    }

    private static ActionBatch batch(Object... payloads) {
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < payloads.length; i++) {
            actions.add(Action.newBuilder().setActionId("a" + i).setPayload(payloads[i]).build());
        }
        return ActionBatch.newBuilder().setActions(actions).build();
    }

    private static FileEditAction fileAction(String path, String operation, String content) {
        return FileEditAction.newBuilder().setFilePath(path).setOperation(operation).setContent(content).build();
    }

    private static TerminalCommandAction shell(String command, Integer timeout) {
        return TerminalCommandAction.newBuilder().setCommand(command).setTimeout(timeout).build();
    }

    private static EvaluationCriterion criterion(String command) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setCommand(command).build();
    }
}
