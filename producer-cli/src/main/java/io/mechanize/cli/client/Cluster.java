package io.mechanize.cli.client;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.ClientProperties;
import io.mechanize.schemas.wire.RegistryClientSettings;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Where the fleet's Kafka cluster and Schema Registry are, plus the client properties of a secured
 * cluster: one map as in a Confluent {@code client.properties}, whose Kafka keys go to every Kafka
 * client ({@link #kafkaProperties}) and whose registry keys to the registry client ({@link #registrySettings}).
 */
public record Cluster(String bootstrapServers, String schemaRegistryUrl, Map<String, String> kafkaOverrides) {
    public Cluster {
        requireNonNull(bootstrapServers, "bootstrapServers is null");
        requireNonNull(schemaRegistryUrl, "schemaRegistryUrl is null");
        kafkaOverrides = Map.copyOf(requireNonNull(kafkaOverrides, "kafkaOverrides is null"));
    }

    public Cluster(String bootstrapServers, String schemaRegistryUrl) {
        this(bootstrapServers, schemaRegistryUrl, Map.of());
    }

    /** Bootstrap servers and the Kafka keys of the overrides: what every Kafka client starts from. */
    public Properties clientProperties() {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(kafkaProperties());
        return props;
    }

    /** The overrides a Kafka client takes (registry keys left out); apply them after a client's own settings. */
    /** An idempotent, acks=all producer of raw bytes (the project serializes values itself). */
    public Properties producerProperties(int lingerMs) {
        Properties props = clientProperties();
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        props.put("linger.ms", Integer.toString(lingerMs));
        props.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        props.putAll(kafkaProperties()); // the user's settings win
        return props;
    }

    /** A group-less consumer of raw bytes that sees committed transactions only, as analytics must. */
    public Properties readCommittedConsumerProperties() {
        Properties props = clientProperties();
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", "false");
        props.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        return props; // the user's settings came first: read_committed is not theirs to turn off
    }

    public Map<String, String> kafkaProperties() {
        return ClientProperties.kafkaOnly(kafkaOverrides);
    }

    /** How the registry client authenticates and whom it trusts. */
    public RegistryClientSettings registrySettings() {
        return RegistryClientSettings.from(kafkaOverrides, schemaRegistryUrl);
    }

    public RestSchemaRegistryClient newRegistryClient() {
        return new RestSchemaRegistryClient(schemaRegistryUrl, registrySettings());
    }

    @Override
    public String toString() {
        return "Cluster[" + bootstrapServers + ", " + schemaRegistryUrl + ", " + ClientProperties.redacted(kafkaOverrides)
                + "]";
    }
}
