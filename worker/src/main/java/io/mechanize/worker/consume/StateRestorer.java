package io.mechanize.worker.consume;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.WorkspaceState;
import io.mechanize.schemas.wire.AvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the latest state of every workspace of some command partitions from the compacted
 * {@code mechanize.workspaces} topic. The state topic has as many partitions as the command
 * topic and the same keys, so command partition N's workspaces are on state partition N.
 */
public final class StateRestorer {
    private static final Logger log = LoggerFactory.getLogger(StateRestorer.class);
    private static final Duration READ_LIMIT = Duration.ofSeconds(60);
    /** The transaction timeout (10 s) and the coordinator's scan for timed-out transactions (10 s), and some. */
    private static final Duration SETTLE_LIMIT = Duration.ofSeconds(30);

    /** The prefix of every worker's transactional id (its worker id follows). */
    public static final String WORKER_TRANSACTIONS = "mechanize-worker-";

    private final Properties props;
    private final Properties adminProps;
    private final AvroDeserializer<WorkspaceState> states;
    private final String ownTransactionalId;

    /** @param ownTransactionalId this worker's transactional id: its own transactions are not waited for */
    public StateRestorer(Properties common, AvroDeserializer<WorkspaceState> states, String ownTransactionalId) {
        this.ownTransactionalId = requireNonNull(ownTransactionalId, "ownTransactionalId is null");
        this.adminProps = new Properties();
        this.adminProps.putAll(common);
        this.props = new Properties();
        this.props.putAll(common);
        this.props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        this.states = states;
    }

    /** The latest state per workspace of the given command partitions. */
    public List<WorkspaceState> restore(Collection<TopicPartition> commandPartitions) {
        List<TopicPartition> partitions = commandPartitions.stream()
                .map(tp -> new TopicPartition(Topics.WORKSPACES, tp.partition()))
                .toList();
        if (partitions.isEmpty()) {
            return List.of();
        }
        Map<String, WorkspaceState> latest = new HashMap<>();
        awaitOtherWorkersTransactions();
        try (var consumer = new KafkaConsumer<byte[], byte[]>(props)) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = settledEnd(consumer, partitions);
            long deadline = System.nanoTime() + READ_LIMIT.toNanos();
            while (!reachedEnd(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("restoring workspace state from " + partitions + " took longer than "
                            + READ_LIMIT);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        latest.remove(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8));
                        continue;
                    }
                    try {
                        WorkspaceState state = states.deserialize(record.topic(), record.value());
                        latest.put(state.getWorkspaceId(), state);
                    } catch (RuntimeException e) {
                        log.warn("skipping an unreadable workspace state at {}-{}@{}: {}", record.topic(),
                                record.partition(), record.offset(), e.getMessage());
                    }
                }
            }
        }
        return new ArrayList<>(latest.values());
    }

    /**
     * The end to read to: the last stable offset once every transaction that was open on these
     * partitions when the restore began has ended. One of them may be the previous owner's, paused
     * (a stopped VM, a long GC) after its offsets were accepted and before its commit: it can still
     * commit when it wakes, and a state read without it would run its commands a second time. The
     * coordinator aborts such a transaction after the transaction timeout, so the wait is bounded.
     */
    private Map<TopicPartition, Long> settledEnd(KafkaConsumer<byte[], byte[]> committedReader,
            List<TopicPartition> partitions) {
        Properties raw = new Properties();
        raw.putAll(props);
        raw.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        Map<TopicPartition, Long> written;
        try (var reader = new KafkaConsumer<byte[], byte[]>(raw)) {
            written = reader.endOffsets(partitions);
        }
        long deadline = System.nanoTime() + SETTLE_LIMIT.toNanos();
        boolean waited = false;
        while (true) {
            Map<TopicPartition, Long> stable = committedReader.endOffsets(partitions);
            List<TopicPartition> open = partitions.stream().filter(tp -> stable.get(tp) < written.get(tp)).toList();
            if (open.isEmpty()) {
                if (waited) {
                    log.info("the transactions open on {} when they came here have ended", partitions);
                }
                return stable;
            }
            if (System.nanoTime() > deadline) {
                log.warn("transactions on {} still open after {}: restoring without them", open, SETTLE_LIMIT);
                return stable;
            }
            waited = true;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return stable;
            }
        }
    }

    /**
     * Waits (at most {@link #SETTLE_LIMIT}) until every other worker's transaction that was
     * ongoing when the restore began has ended. A previous owner paused after its offsets were
     * accepted and before its records were sent has a transaction that shows on no data partition
     * yet ({@link #settledEnd} cannot see it): it can still send them and commit when it wakes,
     * until the coordinator aborts it after the transaction timeout, and a state read without
     * them would run its commands a second time. A healthy worker's transaction ends within
     * milliseconds; a transaction of the same worker that began later is not waited for.
     */
    private void awaitOtherWorkersTransactions() {
        try (Admin admin = Admin.create(adminProps)) {
            Map<String, Long> before = ongoingOthers(admin, null);
            if (before.isEmpty()) {
                return;
            }
            long deadline = System.nanoTime() + SETTLE_LIMIT.toNanos();
            while (true) {
                Map<String, Long> still = ongoingOthers(admin, before);
                if (still.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    log.warn("transactions of {} still ongoing after {}: restoring without waiting for them", still.keySet(),
                            SETTLE_LIMIT);
                    return;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            log.warn("could not list the other workers' ongoing transactions ({}): restoring without waiting for them",
                    e.toString());
        }
    }

    /**
     * The other workers' ongoing transactions, by transactional id, with their start times; only
     * those also in {@code among} (same id, same start) when it is given.
     */
    private Map<String, Long> ongoingOthers(Admin admin, Map<String, Long> among)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<String> ids = admin.listTransactions(new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
                .all().get(10, TimeUnit.SECONDS).stream()
                .map(TransactionListing::transactionalId)
                .filter(id -> id.startsWith(WORKER_TRANSACTIONS) && !id.equals(ownTransactionalId))
                .filter(id -> among == null || among.containsKey(id))
                .toList();
        Map<String, Long> ongoing = new HashMap<>();
        if (ids.isEmpty()) {
            return ongoing;
        }
        var descriptions = admin.describeTransactions(ids);
        for (String id : ids) {
            try {
                TransactionDescription d = descriptions.description(id).get(10, TimeUnit.SECONDS);
                long started = d.transactionStartTimeMs().orElse(-1L);
                if (d.state() == TransactionState.ONGOING && (among == null || among.get(id) == started)) {
                    ongoing.put(id, started);
                }
            } catch (ExecutionException e) {
                // gone meanwhile (expired, or never described): nothing to wait for
            }
        }
        if (among == null && !ongoing.isEmpty()) {
            log.info("waiting for the ongoing transactions of {} before reading the workspaces' state", ongoing.keySet());
        }
        return ongoing;
    }

    private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (var e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
