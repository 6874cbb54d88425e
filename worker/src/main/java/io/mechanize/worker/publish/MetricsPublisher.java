package io.mechanize.worker.publish;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.WorkerMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a {@code WorkerMetrics} snapshot to {@code mechanize.metrics} (key: worker id) every
 * interval, and a last one on close. Its own producer, outside the results' transactions: a
 * metrics record is worth nothing late, so it is never retried past the next one and never
 * holds up a commit.
 */
public final class MetricsPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsPublisher.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final Serializer<WorkerMetrics> serializer;
    private final Supplier<WorkerMetrics> snapshot;
    private final byte[] key;
    private final ScheduledExecutorService timer;

    private MetricsPublisher(Properties base, String workerId, Serializer<WorkerMetrics> serializer,
            Supplier<WorkerMetrics> snapshot) {
        Properties props = new Properties();
        props.putAll(base);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, workerId + "-metrics");
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        this.producer = new KafkaProducer<>(props);
        this.serializer = serializer;
        this.snapshot = snapshot;
        this.key = workerId.getBytes(StandardCharsets.UTF_8);
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("mechanize-metrics-" + workerId).factory());
    }

    /** Starts publishing every {@code interval}. */
    public static MetricsPublisher start(Properties base, String workerId, Serializer<WorkerMetrics> serializer,
            Supplier<WorkerMetrics> snapshot, Duration interval) {
        var publisher = new MetricsPublisher(base, workerId, serializer, snapshot);
        long millis = interval.toMillis();
        publisher.timer.scheduleAtFixedRate(publisher::publishOnce, millis, millis, TimeUnit.MILLISECONDS);
        return publisher;
    }

    /** Sends one snapshot now; failures are logged, never thrown (the next interval tries again). */
    void publishOnce() {
        try {
            byte[] value = serializer.serialize(Topics.METRICS, snapshot.get());
            producer.send(new ProducerRecord<>(Topics.METRICS, key, value), (meta, e) -> {
                if (e != null) {
                    log.warn("metrics snapshot not delivered: {}", e.toString());
                }
            });
        } catch (RuntimeException e) {
            log.warn("metrics snapshot not sent: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        publishOnce();
        producer.close(Duration.ofSeconds(5));
    }
}
