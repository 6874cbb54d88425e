package io.mechanize.cli.client;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/** Where the fleet's Kafka cluster and Schema Registry are, plus any client overrides. */
public record Cluster(String bootstrapServers, String schemaRegistryUrl, Map<String, String> kafkaOverrides) {
    public Cluster {
        requireNonNull(bootstrapServers, "bootstrapServers is null");
        requireNonNull(schemaRegistryUrl, "schemaRegistryUrl is null");
        kafkaOverrides = Map.copyOf(requireNonNull(kafkaOverrides, "kafkaOverrides is null"));
    }

    public Cluster(String bootstrapServers, String schemaRegistryUrl) {
        this(bootstrapServers, schemaRegistryUrl, Map.of());
    }

    public Properties clientProperties() {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(kafkaOverrides);
        return props;
    }
}
