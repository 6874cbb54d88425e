package io.mechanize.cli.fleet;

import io.mechanize.cli.client.Cluster;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads {@code WorkerMetrics} snapshots from {@code mechanize.metrics}, starting a look-back before now. */
public final class MetricsReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsReader.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RestSchemaRegistryClient registry;
    private final AvroDeserializer<WorkerMetrics> metrics;
    private final Map<TopicPartition, Long> endAtOpen;

    public MetricsReader(Cluster cluster, Instant from) {
        registry = cluster.newRegistryClient();
        Properties props = cluster.clientProperties();
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.METRICS, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, from.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
        endAtOpen = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        for (TopicPartition p : partitions) {
            OffsetAndTimestamp start = starts.get(p);
            consumer.seek(p, start == null ? endAtOpen.get(p) : start.offset());
        }
        metrics = new AvroDeserializer<>(registry, WorkerMetrics.class);
    }

    public void poll(Duration timeout, Consumer<WorkerMetrics> sink) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            try {
                sink.accept(metrics.deserialize(record.topic(), record.value()));
            } catch (RuntimeException e) {
                log.debug("skipping an unreadable snapshot at {}@{}: {}", record.partition(), record.offset(),
                        e.getMessage());
            }
        }
    }

    /** True when every partition was read up to the end it had when this reader opened. */
    public boolean caughtUp() {
        return endAtOpen.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey(), Duration.ofSeconds(30)) >= e.getValue());
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        registry.close();
    }
}
