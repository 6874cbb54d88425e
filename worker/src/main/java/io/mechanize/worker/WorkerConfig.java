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
 * @param shutdownGrace how long SIGTERM waits for in-flight commands, and a rebalance for the
 *     commands of revoked partitions (default 30 s)
 * @param idleTimeout a live workspace with no command for this long is closed with reason
 *     {@code idle} (default 30 min)
 * @param kafkaOverrides extra client properties (security settings and the like), applied to
 *     every client last
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
        Map<String, String> kafkaOverrides) {

    public static final String DEFAULT_GROUP_ID = "mechanize-workers";
    public static final int DEFAULT_PARTITIONS = 12;
    public static final int DEFAULT_MAX_WORKSPACES = 64;
    public static final int DEFAULT_MAX_COMMAND_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);

    public WorkerConfig {
        requireNonNull(bootstrapServers, "bootstrapServers is null");
        requireNonNull(schemaRegistryUrl, "schemaRegistryUrl is null");
        requireNonNull(workerId, "workerId is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(shutdownGrace, "shutdownGrace is null");
        requireNonNull(idleTimeout, "idleTimeout is null");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
        }
        kafkaOverrides = Map.copyOf(requireNonNull(kafkaOverrides, "kafkaOverrides is null"));
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
                DEFAULT_SHUTDOWN_GRACE, DEFAULT_IDLE_TIMEOUT, Map.of());
    }

    public WorkerConfig withWorkerId(String id) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, id, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, idleTimeout, kafkaOverrides);
    }

    public WorkerConfig withMaxWorkspaces(int max) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                max, maxCommandBytes, shutdownGrace, idleTimeout, kafkaOverrides);
    }

    public WorkerConfig withPartitions(int count) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, count, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, idleTimeout, kafkaOverrides);
    }

    public WorkerConfig withMaxCommandBytes(int max) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, max, shutdownGrace, idleTimeout, kafkaOverrides);
    }

    public WorkerConfig withIdleTimeout(Duration timeout) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, timeout, kafkaOverrides);
    }

    public WorkerConfig withShutdownGrace(Duration grace) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, grace, idleTimeout, kafkaOverrides);
    }

    public WorkerConfig withKafkaOverrides(Map<String, String> overrides) {
        return new WorkerConfig(bootstrapServers, schemaRegistryUrl, workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, shutdownGrace, idleTimeout, overrides);
    }
}
