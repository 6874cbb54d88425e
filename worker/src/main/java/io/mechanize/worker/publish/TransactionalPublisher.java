package io.mechanize.worker.publish;

import io.mechanize.worker.observe.FleetMetrics;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes results, workspace states and dead letters together with the consumer offsets of the
 * commands they answer, in one Kafka transaction: a {@code read_committed} reader sees each
 * command's results exactly once, and a crash before the commit re-runs the command instead of
 * losing or doubling its results. Used from the polling thread only.
 */
public final class TransactionalPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionalPublisher.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final FleetMetrics metrics;

    public TransactionalPublisher(Properties base, String transactionalId, FleetMetrics metrics) {
        Properties props = new Properties();
        props.putAll(base);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // a worker that dies mid-transaction holds back read_committed readers until this passes
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(props);
        this.metrics = metrics;
        producer.initTransactions();
    }

    /**
     * Sends {@code records} and commits {@code offsets} atomically. On failure the transaction is
     * aborted and the exception rethrown: the caller must not go on as if the results were out.
     */
    public void publish(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata group) {
        if (records.isEmpty() && offsets.isEmpty()) {
            return;
        }
        producer.beginTransaction();
        try {
            for (ProducerRecord<byte[], byte[]> record : records) {
                producer.send(record);
            }
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
            producer.commitTransaction();
            metrics.recordTransaction(true);
        } catch (RuntimeException e) {
            metrics.recordTransaction(false);
            log.error("transaction of {} records failed; aborting", records.size(), e);
            try {
                producer.abortTransaction();
            } catch (RuntimeException abortFailure) {
                e.addSuppressed(abortFailure);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
