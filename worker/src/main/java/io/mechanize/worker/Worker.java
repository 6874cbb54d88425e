package io.mechanize.worker;

import com.codahale.metrics.MetricRegistry;
import io.mechanize.schemas.AvroTrust;
import io.mechanize.schemas.ClientProperties;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.avro.WorkspaceState;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.schemas.wire.RegistryClientSettings;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import io.mechanize.worker.command.CommandHandler;
import io.mechanize.worker.command.Events;
import io.mechanize.worker.command.WorkspaceTable;
import io.mechanize.worker.consume.CommandDecoder;
import io.mechanize.worker.consume.CommandLoop;
import io.mechanize.worker.consume.KafkaCommandLog;
import io.mechanize.worker.consume.StateRestorer;
import io.mechanize.worker.consume.TopicBootstrap;
import io.mechanize.worker.dispatch.KeyedDispatcher;
import io.mechanize.worker.observe.FleetMetrics;
import io.mechanize.worker.observe.MetricsServer;
import io.mechanize.worker.observe.MetricsSnapshot;
import io.mechanize.worker.publish.MetricsPublisher;
import io.mechanize.worker.publish.RecordFactory;
import io.mechanize.worker.publish.TransactionalPublisher;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of the fleet: a member of the consumer group on {@code mechanize.commands} that runs
 * each workspace in a container from its {@link WorkspaceFactory}. Start it with {@link #start},
 * stop it with {@link #close} (what SIGTERM does).
 */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    private final WorkerConfig config;
    private final WorkspaceFactory factory;
    private final CommandLoop loop;
    private final Thread pollThread;
    private final ExecutorService lanes;
    private final WorkspaceTable table;
    private final FleetMetrics metrics;
    private final RestSchemaRegistryClient registry;
    private final KeyedDispatcher dispatcher;
    private final Admin admin;
    /** Members seen at the previous orphan sweep; touched only by the sweeper. */
    private volatile Set<String> previousMembers = Set.of();
    private final java.util.concurrent.ScheduledExecutorService sweeper =
            Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("mechanize-orphan-sweeper").factory());
    private final MetricsServer metricsServer;
    private final MetricsPublisher metricsPublisher;

    private Worker(WorkerConfig config, WorkspaceFactory factory, Clock clock) {
        AvroTrust.trustContractClasses();
        this.config = config;
        this.factory = factory;
        this.metrics = new FleetMetrics(new MetricRegistry()).registerJvmMetrics();
        this.registry = new RestSchemaRegistryClient(config.schemaRegistryUrl(),
                RegistryClientSettings.from(config.kafkaOverrides(), config.schemaRegistryUrl()));
        this.table = new WorkspaceTable();
        this.lanes = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("mechanize-lane-", 0).factory());
        this.dispatcher = new KeyedDispatcher(lanes);
        Semaphore permits = new Semaphore(config.maxWorkspaces(), true);
        Events events = new Events(config.workerId(), clock);

        Properties common = new Properties();
        common.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        common.putAll(ClientProperties.kafkaOnly(config.kafkaOverrides()));

        this.admin = Admin.create(common);
        TopicBootstrap.ensureTopics(admin, config);
        sweepOrphans();

        Properties consumerProps = new Properties();
        consumerProps.putAll(common);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, config.workerId());
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                CooperativeStickyAssignor.class.getName());
        consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // take no more than the loop lets be in flight: a backlog taken early is a backlog that a
        // worker joining the group cannot have (the rest stays in the broker for whoever is free)
        int maxInFlight = Math.max(16, config.maxWorkspaces() * 2);
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(maxInFlight));
        consumerProps.putAll(ClientProperties.kafkaOnly(config.kafkaOverrides()));
        var consumer = new KafkaConsumer<byte[], byte[]>(consumerProps);

        Properties producerProps = new Properties();
        producerProps.putAll(common);
        producerProps.put(CommonClientConfigs.CLIENT_ID_CONFIG, config.workerId() + "-results");
        String transactionalId = StateRestorer.WORKER_TRANSACTIONS + config.workerId();
        var publisher = new TransactionalPublisher(producerProps, transactionalId, metrics);

        var decoder = new CommandDecoder(new AvroDeserializer<>(registry, SimulationCommand.class),
                config.maxCommandBytes());
        var restorer = new StateRestorer(common, new AvroDeserializer<>(registry, WorkspaceState.class), transactionalId);
        var records = new RecordFactory(new AvroSerializer<SimulationEvent>(registry, SimulationEvent.getClassSchema()),
                new AvroSerializer<WorkspaceState>(registry, WorkspaceState.getClassSchema()));
        var handler = new CommandHandler(table, factory, events, permits, metrics, new KafkaCommandLog(common, decoder));
        metrics.registerGauge("workspaces.active", table::liveCount);
        metrics.registerGauge("commands.in_flight", dispatcher::inFlight);
        metrics.registerGauge("workspaces.capacity", config::maxWorkspaces);
        metrics.registerGauge("pool.ready", factory::warmContainers);
        this.loop = new CommandLoop(consumer, publisher, decoder, dispatcher, handler, records, events, permits,
                metrics, maxInFlight, config.shutdownGrace(), table, restorer,
                config.idleTimeout());
        this.pollThread = Thread.ofPlatform().name("mechanize-poll-" + config.workerId()).unstarted(loop);

        Instant startedAt = clock.instant();
        this.metricsPublisher = !config.publishesMetrics() ? null : MetricsPublisher.start(common, config.workerId(),
                new AvroSerializer<WorkerMetrics>(registry, WorkerMetrics.getClassSchema()),
                () -> MetricsSnapshot.of(metrics, config.workerId(), config.maxWorkspaces(), startedAt, clock.instant()),
                config.metricsInterval());
        this.metricsServer = !config.servesMetrics() ? null
                : MetricsServer.start(metrics.registry(), config.metricsHost(), config.metricsPort());
        if (metricsServer != null) {
            log.info("metrics at http://{}:{}/metrics", config.metricsHost(), metricsServer.port());
        }
    }

    /** Creates the topics if missing, removes orphaned containers, joins the group and starts polling. */
    public static Worker start(WorkerConfig config, WorkspaceFactory factory) {
        return start(config, factory, Clock.systemUTC());
    }

    public static Worker start(WorkerConfig config, WorkspaceFactory factory, Clock clock) {
        Worker worker = new Worker(config, factory, clock);
        worker.pollThread.start();
        worker.sweeper.scheduleWithFixedDelay(worker::sweepOrphans, 60, 60, TimeUnit.SECONDS);
        log.info("worker {} started: group {}, up to {} workspaces", config.workerId(), config.groupId(),
                config.maxWorkspaces());
        return worker;
    }

    /**
     * Removes containers of workers that left the group (crashed ones included). A worker counts
     * as gone only when the group was stable (or empty) at two sweeps in a row and it was a
     * member at neither: a group in the middle of a rebalance lists no one reliably, and a
     * worker between two heartbeats must not lose its containers.
     */
    private void sweepOrphans() {
        try {
            var members = stableMembers();
            if (members.isEmpty()) {
                log.debug("group {} is rebalancing or cannot be described: no orphan sweep now", config.groupId());
                return;
            }
            Set<String> live = new HashSet<>(members.get());
            live.addAll(previousMembers);
            live.add(config.workerId());
            previousMembers = members.get();
            int removed = factory.removeOrphans(live, table.liveWorkspaceIds());
            if (removed > 0) {
                log.info("removed {} orphaned containers of workers that are gone", removed);
            }
        } catch (RuntimeException e) {
            log.warn("orphan sweep failed: {}", e.toString());
        }
    }

    /** The group's members' worker ids when the group is stable or empty, else empty. */
    private java.util.Optional<Set<String>> stableMembers() {
        try {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(config.groupId()))
                    .describedGroups().get(config.groupId()).get(15, TimeUnit.SECONDS);
            var state = group.groupState();
            if (state != GroupState.STABLE && state != GroupState.EMPTY && state != GroupState.DEAD) {
                return java.util.Optional.empty();
            }
            Set<String> ids = new HashSet<>();
            group.members().forEach(m -> ids.add(m.clientId()));
            return java.util.Optional.of(ids);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("group {} not described: {}", config.groupId(), e.toString());
            return java.util.Optional.empty();
        }
    }

    public String workerId() {
        return config.workerId();
    }

    public FleetMetrics metrics() {
        return metrics;
    }

    /** The port {@code /metrics} is served on (the ephemeral one when configured with 0); empty when off. */
    public java.util.OptionalInt metricsPort() {
        return metricsServer == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(metricsServer.port());
    }

    public int liveWorkspaces() {
        return table.liveCount();
    }

    public boolean isRunning() {
        return loop.isRunning();
    }

    /** The error that stopped the polling loop, if one did. */
    public java.util.Optional<Throwable> failure() {
        return java.util.Optional.ofNullable(loop.failure());
    }

    /** Blocks until the polling loop ends (after {@link #close} or a fatal error). */
    public void awaitTermination() throws InterruptedException {
        pollThread.join();
    }

    /**
     * Stops taking commands, lets in-flight ones finish within the grace period, commits, leaves
     * the group and removes this worker's containers.
     */
    @Override
    public void close() {
        sweeper.shutdownNow();
        loop.stop();
        try {
            if (!loop.awaitStopped(config.shutdownGrace().plus(Duration.ofSeconds(15)))) {
                log.warn("polling thread did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lanes.shutdownNow();
        List<Workspace> live = table.drainLive();
        live.forEach(Workspace::close);
        factory.close();
        admin.close(Duration.ofSeconds(5));
        if (metricsPublisher != null) {
            metricsPublisher.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        registry.close();
        log.info("worker {} stopped; removed {} containers", config.workerId(), live.size());
    }
}
