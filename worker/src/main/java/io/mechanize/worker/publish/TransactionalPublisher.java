package io.mechanize.worker.publish;

import io.mechanize.worker.observe.FleetMetrics;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
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

    private static final int MAX_ATTEMPTS = 5;

    /** A producer fenced again this soon after being renewed is not renewed: another one has its id. */
    private static final java.time.Duration MIN_RENEWAL_INTERVAL = java.time.Duration.ofMinutes(1);
    private static final int TRANSACTION_TIMEOUT_MS = 10_000;

    private final Supplier<Producer<byte[], byte[]>> producers;
    private Producer<byte[], byte[]> producer;
    private final FleetMetrics metrics;
    private java.time.Instant lastRenewal = java.time.Instant.EPOCH;

    public TransactionalPublisher(Properties base, String transactionalId, FleetMetrics metrics) {
        this(producerFactory(base, transactionalId), metrics);
    }

    /** With {@code producers} making each (transactional) producer: a new one after a fence. */
    TransactionalPublisher(Supplier<Producer<byte[], byte[]>> producers, FleetMetrics metrics) {
        this.producers = producers;
        this.metrics = metrics;
        this.producer = producers.get();
        producer.initTransactions();
    }

    private static Supplier<Producer<byte[], byte[]>> producerFactory(Properties base, String transactionalId) {
        Properties props = new Properties();
        props.putAll(base);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // a worker that dies mid-transaction holds back read_committed readers until this passes
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(TRANSACTION_TIMEOUT_MS));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return () -> new KafkaProducer<>(props);
    }

    /**
     * Sends {@code records} and commits {@code offsets} atomically. A transient broker failure
     * (a timeout, a leader moving, a broker restarting) aborts and retries the whole transaction
     * with the same records, a few times with backoff; a fatal one (this producer fenced by a
     * newer one twice within a minute, an authorization failure) is rethrown: the caller must then
     * stop, and the commands will run again on whichever worker owns their partitions. A producer
     * fenced once (the worker paused past the transaction timeout) is replaced and the transaction
     * sent again.
     */
    public void publish(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets,
            Supplier<ConsumerGroupMetadata> group) {
        if (records.isEmpty() && offsets.isEmpty()) {
            return;
        }
        KafkaException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                producer.beginTransaction();
                for (ProducerRecord<byte[], byte[]> record : records) {
                    producer.send(record);
                }
                if (!offsets.isEmpty()) {
                    producer.sendOffsetsToTransaction(offsets, group.get());
                }
                commit();
                metrics.recordTransaction(true);
                return;
            } catch (CommitFailedException | org.apache.kafka.common.errors.RebalanceInProgressException
                    | org.apache.kafka.common.errors.IllegalGenerationException
                    | org.apache.kafka.common.errors.UnknownMemberIdException
                    | org.apache.kafka.common.errors.FencedInstanceIdException e) {
                // the consumer's group generation is gone: no retry can commit these offsets
                metrics.recordTransaction(false);
                if (!abortQuietly(e)) {
                    renewAfterFence(e);
                }
                throw new GroupChangedException(e);
            } catch (ProducerFencedException | InvalidProducerEpochException | InvalidTxnStateException e) {
                // after a pause past the transaction timeout the coordinator has aborted the
                // transaction; with transactions v2 the next request may say so as any of these
                metrics.recordTransaction(false);
                renewAfterFence(e); // then the same transaction again, with the new producer
            } catch (OutOfOrderSequenceException
                    | AuthorizationException | UnsupportedVersionException | IllegalStateException e) {
                metrics.recordTransaction(false);
                throw e;
            } catch (KafkaException e) {
                metrics.recordTransaction(false);
                last = e;
                log.warn("transaction of {} records failed (attempt {} of {}): {}", records.size(), attempt,
                        MAX_ATTEMPTS, e.toString());
                if (!abortQuietly(e)) {
                    // a producer that cannot even abort is in a fatal state: a new one (once a minute)
                    renewAfterFence(e);
                }
                backoff(attempt);
            }
        }
        throw last;
    }

    /**
     * This producer's epoch is gone: the coordinator aborted its transaction after the timeout
     * (the worker was paused longer than that: a stopped VM, a long GC) or another producer took
     * the transactional id. The aborted transaction left nothing visible, so a new producer may
     * send the same records and offsets; the offsets still carry the consumer's group generation,
     * so they are refused if the partitions moved meanwhile. Fenced again within a minute, the
     * worker gives up: another worker has its id.
     */
    private void renewAfterFence(KafkaException fenced) {
        java.time.Instant now = java.time.Instant.now();
        if (java.time.Duration.between(lastRenewal, now).compareTo(MIN_RENEWAL_INTERVAL) < 0) {
            throw fenced;
        }
        lastRenewal = now;
        log.warn("the transactional producer can no longer be used ({}): a pause longer than the {} ms transaction "
                + "timeout, or another worker with this id; starting a new producer and sending the transaction again",
                fenced.toString(), TRANSACTION_TIMEOUT_MS);
        try {
            producer.close(java.time.Duration.ZERO);
        } catch (KafkaException e) {
            log.debug("closing the fenced producer failed: {}", e.toString());
        }
        producer = producers.get();
        producer.initTransactions();
    }

    /** commitTransaction may time out while the broker is away; retrying it is safe. */
    private void commit() {
        for (int attempt = 1; ; attempt++) {
            try {
                producer.commitTransaction();
                return;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                log.warn("commit timed out (attempt {}), retrying", attempt);
            }
        }
    }

    /** @return false when the producer could not abort either (it is in a fatal state and must be replaced) */
    private boolean abortQuietly(KafkaException cause) {
        try {
            producer.abortTransaction();
            return true;
        } catch (KafkaException abortFailure) {
            cause.addSuppressed(abortFailure);
            return false;
        }
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(Math.min(5_000, 200L << attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
    }

    /** The offsets could not be committed because the consumer group moved on; the transaction was aborted. */
    public static final class GroupChangedException extends KafkaException {
        GroupChangedException(KafkaException cause) {
            super(cause.getMessage(), cause);
        }

        public GroupChangedException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
