package io.mechanize.cli.client;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one run back from the beginning of {@code mechanize.commands} and {@code mechanize.results}
 * ({@code read_committed}, no consumer group, nothing committed): the commands say which
 * workspaces the run has and how many commands each was sent, the results what happened.
 * {@link #caughtUp()} says when every partition was read up to the end it had at open.
 */
public final class RunReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunReader.class);

    /** What the reader hands out, each filtered to the run. */
    public interface Listener {
        /** A command sent for the run: its workspace, seq, and the task id when it creates the workspace. */
        void onCommand(String workspaceId, long seq, String taskIdOrNull);

        void onEvent(SimulationEvent event);
    }

    private final String runId;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RestSchemaRegistryClient registry;
    private final AvroDeserializer<SimulationCommand> commands;
    private final AvroDeserializer<SimulationEvent> events;
    private final Map<TopicPartition, Long> endAtOpen;

    public RunReader(Cluster cluster, String runId) {
        this.runId = runId;
        this.registry = cluster.newRegistryClient();
        Properties props = cluster.readCommittedConsumerProperties();
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        this.consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.COMMANDS, Topics.RESULTS)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.endAtOpen = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        this.commands = new AvroDeserializer<>(registry, SimulationCommand.class);
        this.events = new AvroDeserializer<>(registry, SimulationEvent.class);
    }

    /** Polls once and hands the run's commands and events to the listener. */
    public void poll(Duration timeout, Listener listener) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            try {
                if (record.topic().equals(Topics.COMMANDS)) {
                    SimulationCommand c = commands.deserialize(record.topic(), record.value());
                    if (runId.equals(c.getRunId())) {
                        String task = c.getBody() instanceof CreateWorkspace create
                                ? create.getTask().getTaskId() : null;
                        listener.onCommand(c.getWorkspaceId(), c.getSeq(), task);
                    }
                } else {
                    SimulationEvent e = events.deserialize(record.topic(), record.value());
                    if (runId.equals(e.getRunId())) {
                        listener.onEvent(e);
                    }
                }
            } catch (RuntimeException e) {
                // bad input on mechanize.commands is the worker's to reject; it is not this run's
                log.debug("skipping an unreadable record at {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), e.getMessage());
            }
        }
    }

    /** True when every partition was read up to the end it had when this reader opened. */
    public boolean caughtUp() {
        for (Map.Entry<TopicPartition, Long> end : endAtOpen.entrySet()) {
            if (consumer.position(end.getKey(), Duration.ofSeconds(30)) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        registry.close();
    }
}
