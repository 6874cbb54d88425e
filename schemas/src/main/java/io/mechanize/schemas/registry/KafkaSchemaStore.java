package io.mechanize.schemas.registry;

import io.mechanize.schemas.ClientProperties;
import io.mechanize.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every registration in a compacted single-partition topic (default {@code _schemas}), as
 * Confluent's registry does: a write is acknowledged by all in-sync replicas before the registry
 * answers, and a new registry reads the topic to its end, so it serves the same ids.
 */
public final class KafkaSchemaStore implements SchemaStore {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSchemaStore.class);

    /**
     * @param bootstrapServers  the Kafka cluster
     * @param topic             the compacted topic of registrations (default {@code _schemas})
     * @param replicationFactor of the topic when this store creates it (default 1: a single-machine broker)
     * @param timeout           bound on creating the topic, reading it to its end, and each write (default 30 s)
     * @param clientProperties  Kafka client settings for a secured cluster ({@code security.protocol},
     *                          {@code sasl.*}, {@code ssl.*}); registry keys among them are ignored (default none)
     */
    public record Settings(String bootstrapServers, String topic, short replicationFactor, Duration timeout,
            Map<String, String> clientProperties) {
        public Settings {
            clientProperties = Map.copyOf(ClientProperties.kafkaOnly(
                    Objects.requireNonNull(clientProperties, "clientProperties is null")));
            Objects.requireNonNull(bootstrapServers, "bootstrapServers is null");
            Objects.requireNonNull(topic, "topic is null");
            Objects.requireNonNull(timeout, "timeout is null");
            if (bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("bootstrapServers is blank");
            }
            if (topic.isBlank()) {
                throw new IllegalArgumentException("topic is blank");
            }
            if (replicationFactor < 1) {
                throw new IllegalArgumentException("replicationFactor " + replicationFactor + " is below 1");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout " + timeout + " is not positive");
            }
        }

        public Settings(String bootstrapServers, String topic, short replicationFactor, Duration timeout) {
            this(bootstrapServers, topic, replicationFactor, timeout, Map.of());
        }

        public static Settings defaults(String bootstrapServers) {
            return new Settings(bootstrapServers, Topics.SCHEMAS, (short) 1, Duration.ofSeconds(30));
        }

        /** These settings with Kafka client properties for a secured cluster. */
        public Settings withClientProperties(Map<String, String> properties) {
            return new Settings(bootstrapServers, topic, replicationFactor, timeout, properties);
        }

        @Override
        public String toString() {
            return "Settings[bootstrapServers=" + bootstrapServers + ", topic=" + topic + ", replicationFactor="
                    + replicationFactor + ", timeout=" + timeout + ", clientProperties="
                    + ClientProperties.redacted(clientProperties) + "]";
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final KafkaProducer<String, String> producer;

    private KafkaSchemaStore(Settings settings, Clock clock, KafkaProducer<String, String> producer) {
        this.settings = settings;
        this.clock = clock;
        this.producer = producer;
    }

    /** Creates the topic if it is missing and connects a producer; {@link #loadAll()} then reads it. */
    public static KafkaSchemaStore open(Settings settings) {
        return open(settings, Clock.systemUTC());
    }

    public static KafkaSchemaStore open(Settings settings, Clock clock) {
        Objects.requireNonNull(settings, "settings is null");
        Objects.requireNonNull(clock, "clock is null");
        ensureTopic(settings);
        Properties props = new Properties();
        props.putAll(settings.clientProperties());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "mechanize-schema-registry");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) settings.timeout().toMillis());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(settings.timeout().toMillis(), 30_000));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaSchemaStore(settings, clock,
                new KafkaProducer<>(props, new StringSerializer(), new StringSerializer()));
    }

    @Override
    public List<SchemaRecord> loadAll() {
        Properties props = new Properties();
        props.putAll(settings.clientProperties());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "mechanize-schema-registry-loader");
        TopicPartition partition = new TopicPartition(settings.topic(), 0);
        List<SchemaRecord> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), settings.timeout()).get(partition);
            Instant deadline = clock.instant().plus(settings.timeout());
            while (consumer.position(partition, settings.timeout()) < end) {
                if (clock.instant().isAfter(deadline)) {
                    throw new SchemaStoreException("reading " + settings.topic() + " to its end offset " + end
                            + " took longer than " + settings.timeout() + " (at offset "
                            + consumer.position(partition) + ")", null);
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    decode(record).ifPresent(records::add);
                }
            }
            LOG.info("read {} schema registrations from {} (end offset {})", records.size(), settings.topic(), end);
            return records;
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new SchemaStoreException("cannot read " + settings.topic() + " from "
                    + settings.bootstrapServers() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void append(SchemaRecord record) {
        ProducerRecord<String, String> message = new ProducerRecord<>(settings.topic(), 0,
                StoredRecordCodec.key(record), StoredRecordCodec.value(record));
        try {
            producer.send(message).get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaStoreException("interrupted while writing " + record.subject() + " version "
                    + record.version() + " to " + settings.topic(), e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new SchemaStoreException("cannot write " + record.subject() + " version " + record.version()
                    + " to " + settings.topic() + " at " + settings.bootstrapServers() + ": " + cause, cause);
        }
    }

    @Override
    public void close() {
        producer.close(settings.timeout());
    }

    private Optional<SchemaRecord> decode(ConsumerRecord<String, String> record) {
        try {
            return StoredRecordCodec.read(record.key(), record.value());
        } catch (IllegalArgumentException e) {
            LOG.warn("skipping unreadable record at {}-{} offset {}: {}",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return Optional.empty();
        }
    }

    private static void ensureTopic(Settings settings) {
        Map<String, Object> config = new java.util.HashMap<>(settings.clientProperties());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.timeout().toMillis());
        NewTopic topic = new NewTopic(settings.topic(), 1, settings.replicationFactor())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try (Admin admin = Admin.create(config)) {
            admin.createTopics(List.of(topic)).all().get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("created compacted topic {} (replication factor {})", settings.topic(), settings.replicationFactor());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new SchemaStoreException("cannot create topic " + settings.topic() + " at "
                        + settings.bootstrapServers() + ": " + e.getCause(), e.getCause());
            }
            LOG.debug("topic {} exists", settings.topic());
        } catch (TimeoutException e) {
            throw new SchemaStoreException("creating topic " + settings.topic() + " at " + settings.bootstrapServers()
                    + " took longer than " + settings.timeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaStoreException("interrupted while creating topic " + settings.topic(), e);
        }
    }
}
