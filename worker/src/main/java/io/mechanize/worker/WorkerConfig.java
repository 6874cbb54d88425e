package io.mechanize.worker;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;

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
 * @param shutdownGrace how long SIGTERM waits for in-flight commands (default 30 s)
 * @param kafkaOverrides extra client properties (security settings and the like), applied to
 *     every client last
 * @param metricsHost the address {@code /metrics} binds to (default {@value #DEFAULT_METRICS_HOST}:
 *     every interface, so that Prometheus can scrape the worker from outside its host or pod)
 * @param metricsPort the port of {@code /metrics} (default {@value #DEFAULT_METRICS_PORT}, the
 *     usual port of Prometheus exporters for Java; 0: an ephemeral port, for several workers on
 *     one host; {@value #METRICS_OFF}: no HTTP server)
 * @param metricsInterval how often a {@code WorkerMetrics} snapshot goes to
 *     {@code mechanize.metrics} (default 10 s; zero: never)
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
        Map<String, String> kafkaOverrides,
        String metricsHost,
        int metricsPort,
        Duration metricsInterval) {

    public static final String DEFAULT_GROUP_ID = "mechanize-workers";
    public static final int DEFAULT_PARTITIONS = 12;
    public static final int DEFAULT_MAX_WORKSPACES = 64;
    public static final int DEFAULT_MAX_COMMAND_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final String DEFAULT_METRICS_HOST = "0.0.0.0";
    public static final int DEFAULT_METRICS_PORT = 9404;
    public static final int METRICS_OFF = -1;
    public static final Duration DEFAULT_METRICS_INTERVAL = Duration.ofSeconds(10);

    public WorkerConfig {
        requireNonNull(bootstrapServers, "bootstrapServers is null");
        requireNonNull(schemaRegistryUrl, "schemaRegistryUrl is null");
        requireNonNull(workerId, "workerId is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(shutdownGrace, "shutdownGrace is null");
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
        if (maxCommandBytes < 1024) {
            throw new IllegalArgumentException("maxCommandBytes must be at least 1024, got " + maxCommandBytes);
        }
    }

    /** A configuration with every default, for the given cluster. */
    public static WorkerConfig defaults(String bootstrapServers, String schemaRegistryUrl) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, WorkerIds.generate(), DEFAULT_GROUP_ID,
                DEFAULT_PARTITIONS, (short) 0, DEFAULT_MAX_WORKSPACES, DEFAULT_MAX_COMMAND_BYTES,
                DEFAULT_SHUTDOWN_GRACE, Map.of(), DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, DEFAULT_METRICS_INTERVAL);
    }

    public WorkerConfig withWorkerId(String id) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, id, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, kafkaOverrides, metricsHost, metricsPort, metricsInterval);
    }

    public WorkerConfig withMaxWorkspaces(int max) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                max, maxCommandBytes, shutdownGrace, kafkaOverrides, metricsHost, metricsPort, metricsInterval);
    }

    public WorkerConfig withPartitions(int count) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, count, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, kafkaOverrides, metricsHost, metricsPort, metricsInterval);
    }

    public WorkerConfig withKafkaOverrides(Map<String, String> overrides) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, overrides, metricsHost, metricsPort, metricsInterval);
    }

    /** Serves {@code /metrics} on {@code port} (0: ephemeral, {@value #METRICS_OFF}: off). */
    public WorkerConfig withMetricsPort(int port) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, kafkaOverrides, metricsHost, port, metricsInterval);
    }

    /** Publishes a {@code WorkerMetrics} snapshot every {@code interval} (zero: never). */
    public WorkerConfig withMetricsInterval(Duration interval) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, kafkaOverrides, metricsHost, metricsPort, interval);
    }

    public boolean servesMetrics() {
        return metricsPort != METRICS_OFF;
    }

    public boolean publishesMetrics() {
        return !metricsInterval.isZero();
    }
}
