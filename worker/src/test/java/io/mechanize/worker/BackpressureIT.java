package io.mechanize.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.registry.EmbeddedSchemaRegistry;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Capacity 4 and 50 slow workspaces: never more than 4 containers alive at once, and the worker
 * keeps its partitions (no rebalance from a poll timeout) although the whole run takes several
 * times max.poll.interval.ms.
 */
@Tag("integration")
@Timeout(300)
class BackpressureIT {
    private static final int CAPACITY = 4;
    private static final int WORKSPACES = 50;

    @Test
    void aFullWorkerPausesInsteadOfOverrunningItsCapacityOrItsPollInterval() throws Exception {
        try (KafkaContainer kafka = new KafkaContainer("apache/kafka:4.4.0")) {
            kafka.start();
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(kafka.getBootstrapServers(), 0);
                    RestSchemaRegistryClient client = new RestSchemaRegistryClient(registry.url())) {
                WorkerConfig config = WorkerConfig.defaults(kafka.getBootstrapServers(), registry.url())
                        .withPartitions(2).withMaxWorkspaces(CAPACITY).withPoolSize(0)
                        .withKafkaOverrides(Map.of(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "8000"));
                Worker worker = Worker.start(config,
                        LocalDocker.forWorker(config, Map.of("mechanize.test", "true")));
                AtomicInteger maxAlive = new AtomicInteger();
                AtomicBoolean watching = new AtomicBoolean(true);
                Thread watcher = Thread.ofVirtual().start(() -> {
                    while (watching.get()) {
                        maxAlive.accumulateAndGet(containersOf(config.workerId()), Math::max);
                    }
                });
                Instant started = Instant.now();
                try {
                    submitSlowWorkspaces(kafka.getBootstrapServers(), client);
                    assertThat(awaitClosed(kafka.getBootstrapServers(), client)).hasSize(WORKSPACES);
                    assertThat(worker.metrics().partitionsRevoked())
                            .as("no partition was taken away (a poll timeout would have)").isZero();
                } finally {
                    watching.set(false);
                    watcher.join();
                    worker.close();
                }
                assertThat(Duration.between(started, Instant.now()))
                        .as("the run outlasted max.poll.interval.ms several times").isGreaterThan(Duration.ofSeconds(16));
                assertThat(maxAlive.get()).isPositive().isLessThanOrEqualTo(CAPACITY);
            }
        }
    }

    private static void submitSlowWorkspaces(String bootstrap, RestSchemaRegistryClient client) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        var serializer = new AvroSerializer<SimulationCommand>(client, SimulationCommand.getClassSchema());
        try (var producer = new KafkaProducer<byte[], byte[]>(p)) {
            for (int i = 0; i < WORKSPACES; i++) {
                String ws = "slow-" + i;
                List<Object> bodies = List.of(create(),
                        ActionBatch.newBuilder().setActions(List.of(Action.newBuilder().setActionId("a0")
                                .setPayload(TerminalCommandAction.newBuilder().setCommand("sleep 1").build())
                                .build())).build(),
                        new CloseWorkspace("done"));
                for (int seq = 0; seq < bodies.size(); seq++) {
                    SimulationCommand command = SimulationCommand.newBuilder().setWorkspaceId(ws).setRunId("bp")
                            .setSeq(seq).setSubmittedAt(Instant.now()).setBody(bodies.get(seq)).build();
                    producer.send(new ProducerRecord<>(Topics.COMMANDS, ws.getBytes(StandardCharsets.UTF_8),
                            serializer.serialize(Topics.COMMANDS, command)));
                }
            }
        }
    }

    private static Set<String> awaitClosed(String bootstrap, RestSchemaRegistryClient client) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Set<String> closed = new HashSet<>();
        var events = new AvroDeserializer<>(client, SimulationEvent.class);
        try (var consumer = new KafkaConsumer<byte[], byte[]>(c)) {
            var partitions = consumer.partitionsFor(Topics.RESULTS).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(240)).until(() -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    SimulationEvent e = events.deserialize(r.topic(), r.value());
                    if (e.getBody() instanceof WorkspaceClosed) {
                        closed.add(e.getWorkspaceId());
                    }
                }
                return closed.size() >= WORKSPACES;
            });
        }
        return closed;
    }

    /** Running containers of this worker, as the engine lists them (the docker CLI, not our code). */
    private static int containersOf(String workerId) {
        try {
            Process ps = new ProcessBuilder("docker", "ps", "-q", "--filter", "label=mechanize.worker=" + workerId)
                    .redirectErrorStream(true).start();
            try (var reader = new BufferedReader(new InputStreamReader(ps.getInputStream(), StandardCharsets.UTF_8))) {
                int count = (int) reader.lines().filter(l -> !l.isBlank()).count();
                ps.waitFor();
                return count;
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static CreateWorkspace create() {
        return CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId("slow").setEvaluationCriteria(List.of())
                        .setSnapshot(InlineSnapshot.newBuilder().setFiles(Map.of()).setBinaryFiles(Map.of()).build())
                        .build())
                .setLimits(ResourceLimits.newBuilder().setMemoryMb(64).build())
                .setPolicy(SandboxPolicy.newBuilder().build())
                .build();
    }
}
