package io.mechanize.cli.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EmbeddedKafkaBrokerIT {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBrokerIT.class);

    @TempDir
    Path dataDir;

    @BeforeAll
    static void quietLogs() {
        TestLogging.quiet();
    }

    @Test
    void committedTransactionsAreVisibleToReadCommittedConsumersAndAbortedOnesAreNot() throws Exception {
        long startedAt = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
            log.info("embedded broker started in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt));
            assertThat(broker.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+");
            createTopic(broker.bootstrapServers(), "results", 3);

            try (var producer = transactionalProducer(broker.bootstrapServers(), "it-tx")) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("results", "ws-1", "committed-1"));
                producer.send(new ProducerRecord<>("results", "ws-2", "committed-2"));
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("results", "ws-1", "aborted"));
                producer.flush();
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("results", "ws-3", "committed-3"));
                producer.commitTransaction();
            }

            assertThat(readCommitted(broker.bootstrapServers(), "results", 3))
                    .containsExactlyInAnyOrder("committed-1", "committed-2", "committed-3");
        }
    }

    @Test
    void anIdleBrokerAppendsNothingToItsMetadataLog() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0);
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            createTopic(broker.bootstrapServers(), "idle", 1);
            long before = metadataLogEnd(admin);
            // Kafka's default controller appends a no-op record every 500 ms, each one a metadata
            // log append and a publish on the broker: CPU on the engine's cores for nothing
            Thread.sleep(2_000);
            assertThat(metadataLogEnd(admin)).isEqualTo(before);
        }
    }

    @Test
    void restartsOnTheSameDirectoryWithItsDataAndClusterId() throws Exception {
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
            clusterId = broker.clusterId();
            createTopic(broker.bootstrapServers(), "kept", 1);
            try (var producer = transactionalProducer(broker.bootstrapServers(), "it-restart")) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("kept", "ws-1", "before-restart"));
                producer.commitTransaction();
            }
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
            assertThat(broker.clusterId()).isEqualTo(clusterId);
            assertThat(readCommitted(broker.bootstrapServers(), "kept", 1)).containsExactly("before-restart");
        }
    }

    @Test
    void aTemporaryBrokerDeletesItsDirectoryOnClose() {
        Path dir;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startTemporary()) {
            dir = broker.dataDir();
            assertThat(dir.resolve("meta.properties")).exists();
        }
        assertThat(Files.exists(dir)).isFalse();
    }

    @Test
    void listensOnTheGivenPort() throws Exception {
        int port = FreePorts.pick();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, port)) {
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
        }
    }

    @Test
    void aTakenPortFailsWithAClearMessage() throws Exception {
        try (var taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dataDir, port))
                    .isInstanceOf(EmbeddedKafkaException.class)
                    .hasMessageContaining("did not start")
                    .hasMessageContaining("port " + port)
                    .hasMessageContaining("failed to bind to 127.0.0.1:" + port);
        }
    }

    private static long metadataLogEnd(Admin admin) throws Exception {
        QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
        return quorum.voters().stream().filter(v -> v.replicaId() == quorum.leaderId())
                .findFirst().orElseThrow().logEndOffset();
    }

    private static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static KafkaProducer<String, String> transactionalProducer(String bootstrap, String transactionalId) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    private static List<String> readCommitted(String bootstrap, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + topic,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // read until the expected count, then one more poll to catch anything that should not be there
            boolean extraPollDone = false;
            while (System.nanoTime() < deadline && !extraPollDone) {
                boolean complete = values.size() >= expected;
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(complete ? 1000 : 200))) {
                    values.add(record.value());
                }
                extraPollDone = complete;
            }
        }
        return values;
    }
}
