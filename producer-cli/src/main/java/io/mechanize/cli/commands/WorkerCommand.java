package io.mechanize.cli.commands;

import io.mechanize.worker.Worker;
import io.mechanize.worker.WorkerConfig;
import io.mechanize.worker.LocalDocker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "worker", mixinStandardHelpOptions = true,
        description = {"Run a worker of the fleet against a running cluster until SIGTERM.",
                "Workers of one fleet share a consumer group; scaling is starting more of them."})
public final class WorkerCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--worker-id", description = "Unique id of this worker. Default: host, pid and a random suffix.")
    String workerId;

    @Option(names = "--group-id", defaultValue = WorkerConfig.DEFAULT_GROUP_ID,
            description = "Consumer group of the fleet. Default: ${DEFAULT-VALUE}.")
    String groupId;

    @Option(names = "--max-workspaces", defaultValue = "" + WorkerConfig.DEFAULT_MAX_WORKSPACES,
            description = "Workspaces this worker runs at once. Default: ${DEFAULT-VALUE}.")
    int maxWorkspaces;

    @Option(names = "--partitions", defaultValue = "" + WorkerConfig.DEFAULT_PARTITIONS,
            description = "Partitions of the topics when the worker creates them. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--replication-factor", defaultValue = "0",
            description = "Replication factor of the topics when the worker creates them; 0: min(3, brokers). "
                    + "Default: ${DEFAULT-VALUE}.")
    short replicationFactor;

    @Option(names = "--max-command-bytes", defaultValue = "" + WorkerConfig.DEFAULT_MAX_COMMAND_BYTES,
            description = "Reject commands larger than this. Default: ${DEFAULT-VALUE}.")
    int maxCommandBytes;

    @Option(names = "--idle-timeout", defaultValue = "30m",
            description = "Close a workspace with no command for this long (e.g. 90s, 30m). Default: ${DEFAULT-VALUE}.")
    String idleTimeout;

    @Option(names = "--shutdown-grace", defaultValue = "30s",
            description = "On SIGTERM, wait this long for in-flight commands. Default: ${DEFAULT-VALUE}.")
    String shutdownGrace;

    @Option(names = "--metrics-port", defaultValue = "" + WorkerConfig.DEFAULT_METRICS_PORT,
            description = "Port of the Prometheus endpoint /metrics; 0: an ephemeral port (logged), -1: off. "
                    + "Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--metrics-host", defaultValue = WorkerConfig.DEFAULT_METRICS_HOST,
            description = "Address /metrics binds to (127.0.0.1 keeps it local). Default: ${DEFAULT-VALUE}.")
    String metricsHost;

    @Option(names = "--metrics-interval", defaultValue = "10s", paramLabel = "DURATION",
            description = "How often a WorkerMetrics snapshot goes to mechanize.metrics (e.g. 10s, 1m); 0s: never. "
                    + "Default: ${DEFAULT-VALUE}.")
    String metricsInterval;

    @Option(names = "--pool-size", defaultValue = "" + WorkerConfig.DEFAULT_POOL_SIZE,
            description = "Started, hardened containers kept warm per image and limits (the default ones and those "
                    + "used in the last 10 minutes); 0: none. Default: ${DEFAULT-VALUE}.")
    int poolSize;

    @Option(names = "--pool-runtime", paramLabel = "RUNTIME",
            description = "OCI runtime of the warm containers kept from the start (runsc for a fleet whose task "
                    + "specs ask for gVisor). Default: the engine's default runtime.")
    String poolRuntime;

    @Option(names = "--helper-idle-exit", defaultValue = "2m", paramLabel = "DURATION",
            description = "A workspace's resident helper (file, git and IDE actions) exits after this long without a "
                    + "request, giving back its interpreter's memory; the next file action starts another "
                    + "(e.g. 30s, 10m); 0s: never. Default: ${DEFAULT-VALUE}.")
    String helperIdleExit;

    @Option(names = "--exit-on-stdin-eof",
            description = "Stop as on SIGTERM when standard input reaches its end. A supervisor that starts the worker "
                    + "with a pipe on its standard input then stops it by closing the pipe, and by dying, even by "
                    + "SIGKILL: the kernel closes the pipe (mechanize bench starts its worker so).")
    boolean exitOnStdinEof;

    @Override
    public Integer call() throws Exception {
        WorkerConfig defaults = WorkerConfig.defaults("", "");
        var target = cluster.require(spec);
        WorkerConfig config = new WorkerConfig(target.bootstrapServers(), target.schemaRegistryUrl(),
                workerId == null ? defaults.workerId() : workerId, groupId, partitions, replicationFactor,
                maxWorkspaces, maxCommandBytes, Durations.parse(shutdownGrace, spec),
                Durations.parse(idleTimeout, spec), target.kafkaOverrides(), metricsHost, metricsPort,
                Durations.parse(metricsInterval, spec)).withPoolSize(poolSize)
                .withHelperIdleExit(Durations.parse(helperIdleExit, spec)).withPoolRuntime(poolRuntime);
        Worker worker = Worker.start(config, LocalDocker.forWorker(config, Map.of()));
        Thread hook = new Thread(worker::close, "mechanize-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (exitOnStdinEof) {
            watchForEnd(System.in, () -> {
                System.err.println("standard input closed: worker " + config.workerId() + " stopping as on SIGTERM");
                System.exit(0); // the shutdown hook stops the worker and removes its containers
            });
        }
        System.err.println("worker " + config.workerId() + " running; stop it with Ctrl-C or SIGTERM");
        worker.awaitTermination();
        if (worker.failure().isPresent()) {
            System.err.println("worker stopped by an error: " + worker.failure().get());
            return 1;
        }
        return 0;
    }

    /**
     * Reads {@code in} to its end on a daemon thread, then runs {@code atEnd}. An input that fails
     * to read counts as ended: the supervisor holding it is gone either way.
     */
    static Thread watchForEnd(InputStream in, Runnable atEnd) {
        return Thread.ofPlatform().daemon().name("mechanize-stdin-watch").start(() -> {
            try {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                // an unreadable input is an ended one
            }
            atEnd.run();
        });
    }
}
