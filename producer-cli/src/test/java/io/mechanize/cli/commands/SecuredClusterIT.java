package io.mechanize.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.cli.Main;
import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.client.FleetClient;
import io.mechanize.cli.embedded.EmbeddedKafkaBroker;
import io.mechanize.cli.embedded.ScramSecurity;
import io.mechanize.cli.results.RunTracker;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SpecParser;
import io.mechanize.schemas.ClientProperties;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.registry.EmbeddedSchemaRegistry;
import io.mechanize.worker.LocalDocker;
import io.mechanize.worker.Worker;
import io.mechanize.worker.WorkerConfig;
import io.mechanize.worker.consume.TopicBootstrap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The fleet on a cluster with SASL/SCRAM-SHA-256 and ACLs, each party with the ACLs that README's
 * "Secured clusters" table lists and no more: the producer writes commands only, the worker reads
 * commands in its group and writes what a worker writes, an outsider gets nothing.
 */
@Tag("integration")
@Timeout(300)
class SecuredClusterIT {
    private static final String SPEC = "{\"task\": {\"task_id\": \"secure\", \"snapshot\": {\"inline\": {\"a.txt\": \"x\"}}},"
            + " \"limits\": {\"memory_mb\": 64, \"cpu_cores\": 0.5},"
            + " \"batches\": [[{\"type\": \"TERMINAL_COMMAND\", \"command\": \"echo hello from $(whoami)\"}]]}";

    private static final ScramSecurity SECURITY = new ScramSecurity(Map.of("admin", "admin-secret",
            "producer", "producer-secret", "worker", "worker-secret", "outsider", "outsider-secret"), "admin");

    @TempDir
    Path dir;

    private final String groupId = "secure-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;
    private Worker worker;

    @BeforeEach
    void startSecuredCluster() throws Exception {
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of(), false, SECURITY);
        try (Admin admin = Admin.create(props("admin"))) {
            TopicBootstrap.ensureTopics(admin, 3, (short) 1, broker.bootstrapServers());
            admin.createAcls(fleetAcls(groupId)).all().get(30, TimeUnit.SECONDS);
        }
        // the registry's store is a Kafka client of the secured cluster too
        registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers(), broker.clientProperties("admin"), 0);
    }

    @AfterEach
    void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        new ProcessBuilder("sh", "-c", "docker ps -aq --filter label=mechanize.group=" + groupId
                + " | xargs -r docker rm -f").inheritIO().start().waitFor(60, TimeUnit.SECONDS);
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** What a producer and a worker need; the same list as README's table. */
    static List<AclBinding> fleetAcls(String workerGroup) {
        List<AclBinding> acls = new ArrayList<>();
        allow(acls, "producer", ResourceType.TOPIC, Topics.COMMANDS, PatternType.LITERAL, AclOperation.WRITE);
        allow(acls, "worker", ResourceType.TOPIC, Topics.COMMANDS, PatternType.LITERAL, AclOperation.READ);
        allow(acls, "worker", ResourceType.GROUP, workerGroup, PatternType.LITERAL, AclOperation.READ);
        for (String topic : List.of(Topics.RESULTS, Topics.WORKSPACES, Topics.COMMANDS_DLQ, Topics.METRICS)) {
            allow(acls, "worker", ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.WRITE);
        }
        allow(acls, "worker", ResourceType.TOPIC, Topics.WORKSPACES, PatternType.LITERAL, AclOperation.READ);
        allow(acls, "worker", ResourceType.TRANSACTIONAL_ID, "mechanize-worker-", PatternType.PREFIXED,
                AclOperation.WRITE);
        return acls;
    }

    private static void allow(List<AclBinding> acls, String user, ResourceType type, String name, PatternType pattern,
            AclOperation operation) {
        acls.add(new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW)));
    }

    @Test
    void theProducerSubmitsWithAKafkaConfigFileButCannotReadResults() throws Exception {
        Path spec = Files.writeString(dir.resolve("spec.jsonl"), SPEC + "\n");
        Path producerConfig = configFile("producer");

        int exit = new CommandLine(new Main()).execute("submit", spec.toString(),
                "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry", registry.url(),
                "--kafka-config", producerConfig.toString());

        assertThat(exit).as("mechanize submit --kafka-config producer.properties").isZero();
        assertThat(commandCount()).as("the commands of one simulation (create, batch, close)").isEqualTo(3);
        try (FleetClient producer = new FleetClient(cluster("producer"))) {
            assertThatThrownBy(producer::openResultsFromNow)
                    .isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining(Topics.RESULTS);
        }
    }

    @Test
    void theWorkerPrincipalConsumesCommandsAndPublishesResults() throws Exception {
        Map<String, String> workerConfig = ClientProperties.load(configFile("worker"));
        WorkerConfig config = WorkerConfig.defaults(broker.bootstrapServers(), registry.url())
                .with(b -> {
                    b.groupId = groupId;
                    b.partitions = 3;
                    b.maxWorkspaces = 2;
                    b.metricsPort = WorkerConfig.METRICS_OFF;
                    b.kafkaOverrides = workerConfig;
                });
        worker = Worker.start(config, LocalDocker.forWorker(config, Map.of()));
        Clock clock = Clock.systemUTC();
        RunPlan plan = RunPlan.of(RunPlan.newRunId(clock), List.of(SpecParser.parseLine(1, SPEC)), clock);
        RunTracker tracker = new RunTracker(plan);
        List<SimulationEvent> events = new ArrayList<>();

        // analytics reads results as the admin here; the producer may not (see above)
        try (FleetClient producer = new FleetClient(cluster("producer"));
             FleetClient analytics = new FleetClient(cluster("admin"));
             FleetClient.ResultsReader reader = analytics.openResultsFromNow()) {
            producer.submit(plan);
            boolean finished = reader.follow(tracker, Duration.ofMinutes(3), events::add, () -> { }, clock);
            assertThat(worker.failure()).as("the worker's loop under ACLs").isEmpty();
            assertThat(finished).as("finished; unfinished: %s", tracker.unfinished()).isTrue();
        }

        assertThat(events).extracting(e -> e.getBody().getClass().getSimpleName())
                .containsExactly("WorkspaceCreated", "ActionResult", "WorkspaceClosed");
        assertThat(events.get(0).getBody()).isInstanceOf(WorkspaceCreated.class);
        ActionResult action = (ActionResult) events.get(1).getBody();
        assertThat(action.getSuccess()).isTrue();
        assertThat(action.getOutput()).isEqualTo("hello from agent\n");
        assertThat(events.get(2).getBody()).isInstanceOf(WorkspaceClosed.class);
        assertThat(events).allMatch(e -> e.getWorkerId().equals(worker.workerId()));
    }

    @Test
    void theOutsiderCanNeitherReadNorWrite() throws Exception {
        Properties outsider = props("outsider");
        outsider.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        outsider.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        outsider.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        try (var producer = new KafkaProducer<byte[], byte[]>(outsider)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.COMMANDS, new byte[] {1})).get(30,
                    TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        for (String topic : List.of(Topics.COMMANDS, Topics.RESULTS)) {
            Properties reader = props("outsider");
            reader.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            reader.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            try (var consumer = new KafkaConsumer<byte[], byte[]>(reader)) {
                consumer.assign(List.of(new TopicPartition(topic, 0)));
                consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
                assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
                        .as("reading %s", topic)
                        .isInstanceOf(TopicAuthorizationException.class);
            }
        }
    }

    private long commandCount() throws Exception {
        try (Admin admin = Admin.create(props("admin"))) {
            var partitions = admin.describeTopics(List.of(Topics.COMMANDS)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(Topics.COMMANDS).partitions().stream()
                    .collect(Collectors.toMap(p -> new TopicPartition(Topics.COMMANDS, p.partition()),
                            p -> org.apache.kafka.clients.admin.OffsetSpec.latest()));
            return admin.listOffsets(partitions).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(o -> o.offset()).sum();
        }
    }

    /** A client.properties file for {@code user}, as an operator would hand it out. */
    private Path configFile(String user) throws IOException {
        Properties file = new Properties();
        file.putAll(broker.clientProperties(user));
        Path path = dir.resolve(user + ".properties");
        try (var out = Files.newBufferedWriter(path)) {
            file.store(out, "client config of " + user);
        }
        return path;
    }

    private Cluster cluster(String user) {
        return new Cluster(broker.bootstrapServers(), registry.url(), broker.clientProperties(user));
    }

    private Properties props(String user) {
        Properties props = new Properties();
        props.putAll(broker.clientProperties(user));
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return props;
    }
}
