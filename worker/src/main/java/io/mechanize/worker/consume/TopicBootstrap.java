package io.mechanize.worker.consume;

import io.mechanize.schemas.Topics;
import io.mechanize.worker.WorkerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics the fleet needs when they are missing; leaves existing ones alone. */
public final class TopicBootstrap {
    private static final Logger log = LoggerFactory.getLogger(TopicBootstrap.class);

    private TopicBootstrap() {}

    /** The id of the Kafka cluster these client properties reach (it names a fleet together with its group). */
    public static String clusterId(String bootstrapServers, Map<String, String> clientOverrides) {
        java.util.Properties clientProperties = new java.util.Properties();
        clientProperties.put(org.apache.kafka.clients.CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        clientProperties.putAll(clientOverrides);
        try (Admin admin = Admin.create(clientProperties)) {
            return admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot reach the Kafka cluster at "
                    + clientProperties.get(org.apache.kafka.clients.CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) + ": "
                    + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing the cluster", e);
        }
    }

    public static List<NewTopic> topics(int partitions, short replication) {
        return List.of(
                new NewTopic(Topics.COMMANDS, partitions, replication),
                new NewTopic(Topics.RESULTS, partitions, replication),
                new NewTopic(Topics.WORKSPACES, partitions, replication)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(Topics.METRICS, 1, replication)
                        .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(TimeUnit.DAYS.toMillis(7)))),
                new NewTopic(Topics.COMMANDS_DLQ, 1, replication));
    }

    public static void ensureTopics(Admin admin, WorkerConfig config) {
        ensureTopics(admin, config.partitions(), config.replicationFactor(), config.bootstrapServers());
    }

    /**
     * Creates the fleet's missing topics; {@code where} names the cluster in error messages.
     *
     * @param replication the replication factor, or 0 for min(3, number of brokers)
     */
    public static void ensureTopics(Admin admin, int partitions, short replication, String where) {
        try {
            if (replication <= 0) {
                int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
                replication = (short) Math.max(1, Math.min(3, brokers));
            }
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (NewTopic topic : topics(partitions, replication)) {
                if (!existing.contains(topic.name())) {
                    missing.add(topic);
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                List<String> created = missing.stream().map(NewTopic::name).toList();
                log.info("created topics {}", created);
                awaitLeaders(admin, created);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicAuthorizationException
                        || e.getCause() instanceof ClusterAuthorizationException) {
                    // a secured cluster: listTopics shows only what this principal may describe, and
                    // creating is the operator's job; a topic that is really missing fails at first use
                    log.warn("not allowed to create topics {} on {} ({}); expecting them to exist",
                            missing.stream().map(NewTopic::name).toList(), where, e.getCause().getMessage());
                    return;
                }
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create the fleet's topics on " + where + ": "
                    + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /**
     * Waits until every partition of the topics just created has a leader the brokers know of. A
     * producer that writes before then is told NOT_LEADER, and an idempotent one retrying that on
     * a partition where part of its batches were appended was once left refused with an
     * out-of-order sequence until its records expired (CI, 2026-11-27, Kafka 4 clients).
     */
    private static void awaitLeaders(Admin admin, List<String> names)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                boolean led = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                        .flatMap(t -> t.partitions().stream())
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                if (led) {
                    return;
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicAuthorizationException) {
                    return; // allowed to create them but not to describe them: nothing to wait on
                }
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topics " + names + " created, but not every partition has a leader after 30 s");
            }
            Thread.sleep(50);
        }
    }
}
