package io.mechanize.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.ContractSchemas;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/** The Kafka-backed registry keeps its ids across restarts, in a compacted _schemas topic. */
@Tag("integration")
@Timeout(180)
@Testcontainers
class KafkaSchemaStoreIT {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer(DockerImageName.parse("apache/kafka:4.4.0"))
            .withLabel("mechanize.test", "true")
            .withLabel("mechanize.component", "schemas-it");

    @Test
    void aRestartedRegistryServesTheSameIds() throws Exception {
        Map<String, Integer> ids = new java.util.LinkedHashMap<>();
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(KAFKA.getBootstrapServers(), 0);
             RestSchemaRegistryClient client = new RestSchemaRegistryClient(registry.url())) {
            for (Map.Entry<String, Schema> entry : ContractSchemas.byTopic().entrySet()) {
                ids.put(entry.getKey(), client.register(Topics.valueSubject(entry.getKey()), entry.getValue()));
            }
        }
        assertThat(ids.values()).containsExactly(1, 2, 3, 4);

        try (EmbeddedSchemaRegistry restarted = EmbeddedSchemaRegistry.start(KAFKA.getBootstrapServers(), 0);
             RestSchemaRegistryClient client = new RestSchemaRegistryClient(restarted.url())) {
            for (Map.Entry<String, Schema> entry : ContractSchemas.byTopic().entrySet()) {
                int id = ids.get(entry.getKey());
                assertThat(client.schemaById(id)).isEqualTo(entry.getValue());
                assertThat(client.register(Topics.valueSubject(entry.getKey()), entry.getValue())).isEqualTo(id);
            }
            Schema newcomer = new Schema.Parser().parse("""
                    {"type":"record","name":"Newcomer","namespace":"t","fields":[{"name":"x","type":"int"}]}""");
            assertThat(client.register("newcomer-value", newcomer)).as("ids continue after the restored ones")
                    .isEqualTo(5);
        }
    }

    @Test
    void theTopicIsCompactedWithOnePartitionAndHoldsConfluentShapedRecords() throws Exception {
        String topic = "_schemas_shape";
        KafkaSchemaStore.Settings settings = new KafkaSchemaStore.Settings(
                KAFKA.getBootstrapServers(), topic, (short) 1, Duration.ofSeconds(30));
        try (KafkaSchemaStore store = KafkaSchemaStore.open(settings)) {
            store.append(new SchemaRecord("s-value", 1, 1, "\"string\""));
            store.append(new SchemaRecord("s-value", 2, 2, "\"int\""));
        }
        try (KafkaSchemaStore store = KafkaSchemaStore.open(settings)) {
            assertThat(store.loadAll()).containsExactly(
                    new SchemaRecord("s-value", 1, 1, "\"string\""), new SchemaRecord("s-value", 2, 2, "\"int\""));
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                KAFKA.getBootstrapServers()))) {
            TopicDescription description = admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            String cleanup = admin.describeConfigs(List.of(resource)).all().get().get(resource)
                    .get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            assertThat(description.partitions()).hasSize(1);
            assertThat(cleanup).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
        }
    }
}
