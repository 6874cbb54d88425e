package io.mechanize.cli.client;

import io.mechanize.cli.results.RunTracker;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import io.mechanize.worker.consume.TopicBootstrap;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer side of the fleet: sends a run's commands to {@code mechanize.commands} and follows
 * its results on {@code mechanize.results} with {@code isolation.level=read_committed}.
 */
public final class FleetClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FleetClient.class);

    private final Cluster cluster;
    private final RestSchemaRegistryClient registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerializer<SimulationCommand> commands;

    public FleetClient(Cluster cluster) {
        this.cluster = cluster;
        this.registry = cluster.newRegistryClient();
        this.producer = new KafkaProducer<>(cluster.producerProperties(5));
        this.commands = new AvroSerializer<>(registry, SimulationCommand.getClassSchema());
    }

    /** Creates the fleet's topics when missing (workers do the same). */
    public void ensureTopics(int partitions, short replication) {
        try (Admin admin = Admin.create(cluster.clientProperties())) {
            TopicBootstrap.ensureTopics(admin, partitions, replication, cluster.bootstrapServers());
        }
    }

    /**
     * Sends every command of the plan, keyed by workspace id so that each workspace's commands
     * share a partition and keep their order; returns when the broker acknowledged them all.
     */
    public void submit(RunPlan plan) {
        List<Future<RecordMetadata>> sends = new java.util.ArrayList<>(plan.commandCount());
        for (RunPlan.PlannedWorkspace workspace : plan.workspaces()) {
            byte[] key = workspace.workspaceId().getBytes(StandardCharsets.UTF_8);
            for (SimulationCommand command : workspace.commands()) {
                sends.add(producer.send(new ProducerRecord<>(Topics.COMMANDS, key,
                        commands.serialize(Topics.COMMANDS, command))));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> send : sends) {
            try {
                send.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the broker refused a command of run " + plan.runId() + ": "
                        + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IllegalStateException("the broker at " + cluster.bootstrapServers()
                        + " did not acknowledge the commands of run " + plan.runId() + " within 60 s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while submitting", e);
            }
        }
        log.info("submitted {} commands for {} workspaces of run {}", sends.size(), plan.workspaces().size(),
                plan.runId());
    }

    /**
     * Opens a reader of {@code mechanize.results} positioned at the current end of every partition,
     * so open it before {@link #submit} to see every result of the run.
     */
    public ResultsReader openResultsFromNow() {
        Properties props = cluster.readCommittedConsumerProperties();
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        props.putAll(cluster.kafkaProperties());
        var consumer = new KafkaConsumer<byte[], byte[]>(props);
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.RESULTS, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return new ResultsReader(consumer, new AvroDeserializer<>(registry, SimulationEvent.class));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        registry.close();
    }

    /** Reads result events and feeds them to a {@link RunTracker}. */
    public static final class ResultsReader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final ResultDecoder events;

        ResultsReader(KafkaConsumer<byte[], byte[]> consumer, AvroDeserializer<SimulationEvent> events) {
            this.consumer = consumer;
            this.events = new ResultDecoder(events);
        }

        /**
         * Reads until the tracker's run has finished or {@code timeout} passes; every event of the
         * run goes to {@code sink}, and {@code onProgress} runs after each poll.
         *
         * @return true when the run finished
         */
        public boolean follow(RunTracker tracker, Duration timeout, Consumer<SimulationEvent> sink,
                Runnable onProgress, Clock clock) {
            Instant deadline = clock.instant().plus(timeout);
            while (!tracker.allFinished() && clock.instant().isBefore(deadline)) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    events.decode(record).filter(tracker::accept).ifPresent(sink);
                }
                onProgress.run();
            }
            return tracker.allFinished();
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
