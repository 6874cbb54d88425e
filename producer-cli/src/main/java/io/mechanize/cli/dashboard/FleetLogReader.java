package io.mechanize.cli.dashboard;

import io.mechanize.cli.client.Cluster;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every run's commands and result events ({@code read_committed}, no group, nothing
 * committed) from {@code from} on and hands them to the model: commands say how many each
 * workspace was sent, events what happened.
 */
final class FleetLogReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FleetLogReader.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RestSchemaRegistryClient registry;
    private final AvroDeserializer<SimulationCommand> commands;
    private final AvroDeserializer<SimulationEvent> events;

    FleetLogReader(Cluster cluster, Instant from) {
        registry = cluster.newRegistryClient();
        Properties props = cluster.readCommittedConsumerProperties();
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.COMMANDS, Topics.RESULTS)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, from.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        for (TopicPartition p : partitions) {
            OffsetAndTimestamp start = starts.get(p);
            consumer.seek(p, start == null ? ends.get(p) : start.offset());
        }
        commands = new AvroDeserializer<>(registry, SimulationCommand.class);
        events = new AvroDeserializer<>(registry, SimulationEvent.class);
    }

    void poll(Duration timeout, DashboardModel model) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            try {
                if (record.topic().equals(Topics.COMMANDS)) {
                    model.onCommand(commands.deserialize(record.topic(), record.value()),
                            Instant.ofEpochMilli(record.timestamp()));
                } else {
                    model.onEvent(events.deserialize(record.topic(), record.value()));
                }
            } catch (RuntimeException e) {
                log.debug("skipping an unreadable record at {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), e.getMessage());
            }
        }
    }

    void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        registry.close();
    }
}
