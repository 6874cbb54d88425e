package io.mechanize.cli.embedded;

import io.mechanize.cli.client.Cluster;
import io.mechanize.schemas.registry.EmbeddedSchemaRegistry;
import io.mechanize.worker.Worker;
import io.mechanize.worker.WorkerConfig;
import io.mechanize.worker.LocalDocker;
import java.util.Map;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The whole fleet in one process for a single machine: a real KRaft Kafka broker, the
 * Confluent-compatible registry (schemas kept in the broker's {@code _schemas} topic) and, when
 * asked, workers running workspaces on the local Docker engine.
 */
public final class EmbeddedStack implements AutoCloseable {
    private final EmbeddedKafkaBroker broker;
    private final EmbeddedSchemaRegistry registry;
    private final Path temporaryDir;
    private final List<Worker> workers = new ArrayList<>();

    private EmbeddedStack(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry, Path temporaryDir) {
        this.broker = broker;
        this.registry = registry;
        this.temporaryDir = temporaryDir;
    }

    /**
     * Starts the broker and the registry.
     *
     * @param dataDir where the broker keeps its log; null for a temporary directory removed on close
     */
    public static EmbeddedStack start(Path dataDir, int kafkaPort, int registryPort) {
        Path temporary = null;
        try {
            if (dataDir == null) {
                temporary = Files.createTempDirectory("mechanize-kafka-");
                dataDir = temporary;
            }
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, kafkaPort);
            try {
                EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers(), registryPort);
                return new EmbeddedStack(broker, registry, temporary);
            } catch (RuntimeException e) {
                broker.close();
                throw e;
            }
        } catch (IOException e) {
            deleteQuietly(temporary);
            throw new UncheckedIOException("cannot create the embedded broker's data directory", e);
        } catch (RuntimeException e) {
            deleteQuietly(temporary);
            throw e;
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String schemaRegistryUrl() {
        return registry.url();
    }

    public Cluster cluster() {
        return new Cluster(bootstrapServers(), schemaRegistryUrl());
    }

    /**
     * Starts a worker on the local Docker engine; it is stopped with the stack. It publishes
     * {@code WorkerMetrics} snapshots but serves no {@code /metrics}: a demo must not fail because
     * port 9404 is taken.
     */
    public Worker startWorker(int maxWorkspaces) {
        return startWorker(c -> c.maxWorkspaces = maxWorkspaces);
    }

    /** Starts a worker with the embedded defaults (warm pool on, no {@code /metrics}) changed by {@code changes}. */
    public Worker startWorker(java.util.function.Consumer<WorkerConfig.Builder> changes) {
        WorkerConfig config = WorkerConfig.defaults(bootstrapServers(), schemaRegistryUrl())
                .withMetricsPort(WorkerConfig.METRICS_OFF).with(changes);
        Worker worker = Worker.start(config, LocalDocker.forWorker(config, Map.of()));
        workers.add(worker);
        return worker;
    }

    @Override
    public void close() {
        for (Worker worker : workers) {
            worker.close();
        }
        registry.close();
        broker.close();
        deleteQuietly(temporaryDir);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
