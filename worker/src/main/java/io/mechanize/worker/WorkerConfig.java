package io.mechanize.worker;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Everything a worker is configured with, each value beside its default and its meaning.
 *
 * @param bootstrapServers Kafka bootstrap servers (no default: required)
 * @param schemaRegistryUrl Confluent-compatible Schema Registry URL (no default: required)
 * @param workerId this worker's id, unique in the fleet; labels its containers and names its
 *     transactional id (default: host name, process id and a random suffix)
 * @param groupId the consumer group every worker of one fleet shares (default
 *     {@value #DEFAULT_GROUP_ID})
 * @param partitions partitions of the command and result topics when the worker creates them
 *     (default {@value #DEFAULT_PARTITIONS})
 * @param replicationFactor replication factor of topics the worker creates (default 0: min(3,
 *     number of brokers), so 1 on a single-node broker and 3 on a real cluster)
 * @param maxWorkspaces live workspaces this worker holds at once; beyond it the worker pauses its
 *     partitions (default {@value #DEFAULT_MAX_WORKSPACES})
 * @param maxCommandBytes a command larger than this is rejected (default 1 MiB)
 * @param shutdownGrace how long SIGTERM waits for in-flight commands, and a rebalance for the
 *     commands of revoked partitions (default 30 s)
 * @param idleTimeout a live workspace with no command for this long is closed with reason
 *     {@code idle} (default 30 min)
 * @param kafkaOverrides client properties of a secured cluster, applied to every client last: Kafka
 *     keys ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) go to every Kafka client, the
 *     registry client's ({@code basic.auth.*}, {@code schema.registry.ssl.*}) to the registry client
 * @param metricsHost the address {@code /metrics} binds to (default {@value #DEFAULT_METRICS_HOST}:
 *     every interface, so that Prometheus can scrape the worker from outside its host or pod)
 * @param metricsPort the port of {@code /metrics} (default {@value #DEFAULT_METRICS_PORT}, the
 *     usual port of Prometheus exporters for Java; 0: an ephemeral port, for several workers on
 *     one host; {@value #METRICS_OFF}: no HTTP server)
 * @param metricsInterval how often a {@code WorkerMetrics} snapshot goes to
 *     {@code mechanize.metrics} (default 10 s; zero: never)
 * @param poolSize started, hardened containers kept warm per (image, limits, runtime, network), for
 *     the default image and limits and for those used in the last 10 minutes (default
 *     {@value #DEFAULT_POOL_SIZE}; 0: no pool, each workspace starts its own container)
 * @param helperIdleExit how long a workspace's resident helper (file, git and IDE actions) may
 *     wait for a request before it exits, giving its interpreter's memory back; the next file
 *     action starts another (default 2 minutes; zero: it never exits)
 * @param poolRuntime the OCI runtime of the pool's key kept filled from the start (the default
 *     image and limits): {@code runsc} for a fleet whose tasks run under gVisor; null (the default)
 *     for the engine's default runtime
 */
public record WorkerConfig(
        String bootstrapServers,
        String schemaRegistryUrl,
        String workerId,
        String groupId,
        int partitions,
        short replicationFactor,
        int maxWorkspaces,
        int maxCommandBytes,
        Duration shutdownGrace,
        Duration idleTimeout,
        Map<String, String> kafkaOverrides,
        String metricsHost,
        int metricsPort,
        Duration metricsInterval,
        int poolSize,
        Duration helperIdleExit,
        String poolRuntime) {

    public static final String DEFAULT_GROUP_ID = "mechanize-workers";
    public static final int DEFAULT_PARTITIONS = 12;
    public static final int DEFAULT_MAX_WORKSPACES = 64;
    public static final int DEFAULT_MAX_COMMAND_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);
    public static final String DEFAULT_METRICS_HOST = "0.0.0.0";
    public static final int DEFAULT_METRICS_PORT = 9404;
    public static final int METRICS_OFF = -1;
    public static final Duration DEFAULT_METRICS_INTERVAL = Duration.ofSeconds(10);
    public static final int DEFAULT_POOL_SIZE = 8;
    public static final Duration DEFAULT_HELPER_IDLE_EXIT =
            io.mechanize.worker.sandbox.DockerWorkspaceFactory.HELPER_IDLE_EXIT;

    public WorkerConfig {
        requireNonNull(bootstrapServers, "bootstrapServers is null");
        requireNonNull(schemaRegistryUrl, "schemaRegistryUrl is null");
        requireNonNull(workerId, "workerId is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(shutdownGrace, "shutdownGrace is null");
        requireNonNull(idleTimeout, "idleTimeout is null");
        kafkaOverrides = Map.copyOf(requireNonNull(kafkaOverrides, "kafkaOverrides is null"));
        requireNonNull(metricsHost, "metricsHost is null");
        requireNonNull(metricsInterval, "metricsInterval is null");
        if (metricsPort < METRICS_OFF || metricsPort > 65535) {
            throw new IllegalArgumentException("metricsPort must be -1 (off), 0 (ephemeral) or a port, got "
                    + metricsPort);
        }
        if (metricsInterval.isNegative()) {
            throw new IllegalArgumentException("metricsInterval must be zero (off) or positive, got " + metricsInterval);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        if (replicationFactor < 0) {
            throw new IllegalArgumentException("replicationFactor must be 0 (automatic) or more, got "
                    + replicationFactor);
        }
        if (maxWorkspaces < 1) {
            throw new IllegalArgumentException("maxWorkspaces must be at least 1, got " + maxWorkspaces);
        }
        if (poolSize < 0) {
            throw new IllegalArgumentException("poolSize must be 0 (off) or more, got " + poolSize);
        }
        requireNonNull(helperIdleExit, "helperIdleExit is null");
        if (helperIdleExit.isNegative()) {
            throw new IllegalArgumentException("helperIdleExit must be zero (never) or more, got " + helperIdleExit);
        }
        if (poolRuntime != null && poolRuntime.isBlank()) {
            throw new IllegalArgumentException("poolRuntime must name an OCI runtime or be null (the engine's default),"
                    + " was blank");
        }
        if (maxCommandBytes < 1024) {
            throw new IllegalArgumentException("maxCommandBytes must be at least 1024, got " + maxCommandBytes);
        }
    }

    /** The configuration before the warm pool, with its default pool size. */
    public WorkerConfig(String bootstrapServers, String schemaRegistryUrl, String workerId, String groupId,
            int partitions, short replicationFactor, int maxWorkspaces, int maxCommandBytes, Duration shutdownGrace,
            Duration idleTimeout, Map<String, String> kafkaOverrides, String metricsHost, int metricsPort,
            Duration metricsInterval) {
        this(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor, maxWorkspaces,
                maxCommandBytes, shutdownGrace, idleTimeout, kafkaOverrides, metricsHost, metricsPort, metricsInterval,
                DEFAULT_POOL_SIZE, DEFAULT_HELPER_IDLE_EXIT, null);
    }

    /** A configuration with every default, for the given cluster. */
    public static WorkerConfig defaults(String bootstrapServers, String schemaRegistryUrl) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, WorkerIds.generate(), DEFAULT_GROUP_ID,
                DEFAULT_PARTITIONS, (short) 0, DEFAULT_MAX_WORKSPACES, DEFAULT_MAX_COMMAND_BYTES,
                DEFAULT_SHUTDOWN_GRACE, DEFAULT_IDLE_TIMEOUT, Map.of(), DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT,
                DEFAULT_METRICS_INTERVAL, DEFAULT_POOL_SIZE, DEFAULT_HELPER_IDLE_EXIT, null);
    }

    /** A copy with some values changed: {@code config.with(b -> b.maxWorkspaces = 4)}. */
    public WorkerConfig with(Consumer<Builder> changes) {
        Builder b = new Builder(this);
        changes.accept(b);
        return b.build();
    }

    public WorkerConfig withWorkerId(String id) {
        return with(b -> b.workerId = id);
    }

    public WorkerConfig withMaxWorkspaces(int max) {
        return with(b -> b.maxWorkspaces = max);
    }

    public WorkerConfig withPartitions(int count) {
        return with(b -> b.partitions = count);
    }

    public WorkerConfig withMaxCommandBytes(int max) {
        return with(b -> b.maxCommandBytes = max);
    }

    public WorkerConfig withIdleTimeout(Duration timeout) {
        return with(b -> b.idleTimeout = timeout);
    }

    public WorkerConfig withShutdownGrace(Duration grace) {
        return with(b -> b.shutdownGrace = grace);
    }

    public WorkerConfig withKafkaOverrides(Map<String, String> overrides) {
        return with(b -> b.kafkaOverrides = overrides);
    }

    /** Serves {@code /metrics} on {@code port} (0: ephemeral, {@value #METRICS_OFF}: off). */
    public WorkerConfig withMetricsPort(int port) {
        return with(b -> b.metricsPort = port);
    }

    /** Publishes a {@code WorkerMetrics} snapshot every {@code interval} (zero: never). */
    public WorkerConfig withMetricsInterval(Duration interval) {
        return with(b -> b.metricsInterval = interval);
    }

    /** As the record's, with secrets of {@link #kafkaOverrides} hidden (it is logged). */
    @Override
    public String toString() {
        return "WorkerConfig[bootstrapServers=" + bootstrapServers + ", schemaRegistryUrl=" + schemaRegistryUrl
                + ", workerId=" + workerId + ", groupId=" + groupId + ", partitions=" + partitions
                + ", replicationFactor=" + replicationFactor + ", maxWorkspaces=" + maxWorkspaces
                + ", maxCommandBytes=" + maxCommandBytes + ", shutdownGrace=" + shutdownGrace + ", idleTimeout="
                + idleTimeout + ", kafkaOverrides=" + io.mechanize.schemas.ClientProperties.redacted(kafkaOverrides)
                + ", metricsHost=" + metricsHost + ", metricsPort=" + metricsPort + ", metricsInterval="
                + metricsInterval + ", poolSize=" + poolSize + ", helperIdleExit=" + helperIdleExit + ", poolRuntime="
                + poolRuntime + "]";
    }

    /** Keeps {@code size} warm containers per key (0: no pool). */
    public WorkerConfig withPoolSize(int size) {
        return with(b -> b.poolSize = size);
    }

    /** Lets a workspace's resident helper wait this long for a request before it exits (zero: for ever). */
    public WorkerConfig withHelperIdleExit(Duration idle) {
        return with(b -> b.helperIdleExit = idle);
    }

    /** Keeps the pool's default key filled under {@code runtime} (null: the engine's default). */
    public WorkerConfig withPoolRuntime(String runtime) {
        return with(b -> b.poolRuntime = runtime);
    }

    public boolean servesMetrics() {
        return metricsPort != METRICS_OFF;
    }

    public boolean publishesMetrics() {
        return !metricsInterval.isZero();
    }

    /** The mutable twin of a {@link WorkerConfig}, for {@link #with}; {@link #build} validates. */
    public static final class Builder {
        public String bootstrapServers;
        public String schemaRegistryUrl;
        public String workerId;
        public String groupId;
        public int partitions;
        public short replicationFactor;
        public int maxWorkspaces;
        public int maxCommandBytes;
        public Duration shutdownGrace;
        public Duration idleTimeout;
        public Map<String, String> kafkaOverrides;
        public String metricsHost;
        public int metricsPort;
        public Duration metricsInterval;
        public int poolSize;
        public Duration helperIdleExit;
        public String poolRuntime;

        Builder(WorkerConfig c) {
            bootstrapServers = c.bootstrapServers;
            schemaRegistryUrl = c.schemaRegistryUrl;
            workerId = c.workerId;
            groupId = c.groupId;
            partitions = c.partitions;
            replicationFactor = c.replicationFactor;
            maxWorkspaces = c.maxWorkspaces;
            maxCommandBytes = c.maxCommandBytes;
            shutdownGrace = c.shutdownGrace;
            idleTimeout = c.idleTimeout;
            kafkaOverrides = c.kafkaOverrides;
            metricsHost = c.metricsHost;
            metricsPort = c.metricsPort;
            metricsInterval = c.metricsInterval;
            poolSize = c.poolSize;
            helperIdleExit = c.helperIdleExit;
            poolRuntime = c.poolRuntime;
        }

        public WorkerConfig build() {
            return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions,
                    replicationFactor, maxWorkspaces, maxCommandBytes, shutdownGrace, idleTimeout, kafkaOverrides,
                    metricsHost, metricsPort, metricsInterval, poolSize, helperIdleExit, poolRuntime);
        }
    }
}
