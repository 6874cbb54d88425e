package io.mechanize.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mechanize.cli.bench.BenchOptions;
import io.mechanize.cli.bench.BenchRunner;
import io.mechanize.cli.bench.CpuSplit;
import io.mechanize.cli.bench.WorkerProcess;
import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.worker.LocalDocker;
import io.mechanize.worker.sandbox.DockerEngine;
import io.mechanize.worker.sandbox.EngineBaselines;
import io.mechanize.worker.sandbox.WarmPool;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure the fleet against the Docker engine it runs on, in one run: throughput of whole "
                + "simulations vs raw hardened container churn, workspace-ready latency, per-action overhead vs "
                + "docker exec, submit-to-result latency, worker RSS and host memory per idle workspace.",
                "Embedded stack by default; --bootstrap-servers and --schema-registry measure a running cluster "
                        + "(its workers must use this machine's Docker engine for the memory figures)."})
public final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--num-concurrent", defaultValue = "100", description = "Workspaces at once. Default: ${DEFAULT-VALUE}.")
    int numConcurrent;

    @Option(names = "--actions-per-sim", defaultValue = "3",
            description = "`true` actions in each simulation's batch. Default: ${DEFAULT-VALUE}.")
    int actionsPerSim;

    @Option(names = "--simulations", description = "Simulations of the throughput phase. Default: 2 x --num-concurrent.")
    Integer simulations;

    @Option(names = "--pool-size",
            description = "Warm pool of the worker the bench starts, per key; 0: off. Default: --num-concurrent "
                    + "(a worker keeps as many warm as it may run).")
    Integer poolSize;

    @Option(names = "--worker-jvm-options", defaultValue = WORKER_JVM_OPTIONS, paramLabel = "OPTIONS",
            description = "JVM options of the worker process the bench starts (space-separated). "
                    + "Default: ${DEFAULT-VALUE}.")
    String workerJvmOptions;

    /** How a worker is meant to run (images/worker, deploy/k8s): see docs/PERFORMANCE.md. */
    static final String WORKER_JVM_OPTIONS = "-Xmx256m -XX:TieredStopAtLevel=1";

    @Option(names = "--image", defaultValue = "mechanize/dev-env:latest", description = "Default: ${DEFAULT-VALUE}.")
    String image;

    @Option(names = "--runtime", paramLabel = "RUNTIME",
            description = "OCI runtime of every container of the run, the engine baselines' included: runsc (gVisor, "
                    + "as the workspaces of a task spec with runtime: runsc get) or any other the engine has "
                    + "registered. Default: the engine's default runtime (runc).")
    String runtime;

    @Option(names = "--profile-memory",
            description = "Also report the worker's peak RSS and threads and the spread of container memory.")
    boolean profileMemory;

    @Option(names = "--save-results", paramLabel = "FILE.json", description = "Write the figures as JSON here.")
    Path saveResults;

    @Override
    public Integer call() throws Exception {
        BenchOptions options = new BenchOptions(numConcurrent, actionsPerSim,
                simulations == null ? 2 * numConcurrent : simulations, image, runtime, profileMemory);
        String tag = "bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 24);
        Map<String, String> baselineLabels = Map.of("mechanize.bench", tag);
        int pool = poolSize == null ? numConcurrent : poolSize;
        Map<String, Object> figures;
        try (DockerEngine engine = DockerEngine.fromEnvironment()) {
            EngineBaselines baselines = new EngineBaselines(engine, baselineLabels);
            try {
                // the engine's own figures first, while nothing else runs on it
                CpuSplit cpu = CpuSplit.ofThisHost();
                BenchRunner.Baselines base = BenchRunner.baselines(baselines, options, cpu, System.err);
                if (cluster.named()) {
                    Cluster target = cluster.require(spec);
                    figures = new BenchRunner(target, baselines, options, null, null, 0, cpu, System.err).run(base);
                } else {
                    System.err.println("starting the embedded stack (Kafka broker, schema registry) and a worker process ...");
                    List<String> workerArgs = new java.util.ArrayList<>(List.of("--group-id", tag, "--max-workspaces",
                            Integer.toString(numConcurrent), "--pool-size", Integer.toString(pool)));
                    if (runtime != null) {
                        // the pool's key kept from the start is the bench's, not an unused one beside it
                        workerArgs.addAll(List.of("--pool-runtime", runtime));
                    }
                    try (EmbeddedStack stack = EmbeddedStack.start(null, 0, 0);
                            WorkerProcess worker = WorkerProcess.start(stack.cluster(),
                                    List.of(workerJvmOptions.trim().split("\\s+")), workerArgs)) {
                        System.err.println("worker process " + worker.pid() + ", log " + worker.log());
                        worker.awaitConsuming(stack.cluster(), tag, Duration.ofMinutes(2));
                        Map<String, String> pooled = Map.of(WarmPool.LABEL_POOL, "true", LocalDocker.LABEL_GROUP, tag);
                        figures = new BenchRunner(stack.cluster(), baselines, options, worker, pooled, pool, cpu,
                                System.err).run(base);
                        figures.put("worker_jvm_options", workerJvmOptions);
                        // this JVM ran the churn baseline's client and, embedded, the broker
                        figures.put("bench_jvm_options", String.join(" ",
                                ManagementFactory.getRuntimeMXBean().getInputArguments()));
                    }
                }
            } finally {
                baselines.removeAll(baselineLabels);
            }
        }
        figures.put("pool_size", cluster.named() ? null : pool);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        figures.forEach((k, v) -> System.out.printf("%-42s %s%n", k, v));
        if (saveResults != null) {
            json.writeValue(saveResults.toFile(), figures);
            System.err.println("figures written to " + saveResults);
        }
        Object success = figures.get("success_rate");
        boolean allOpened = figures.get("workspace_open_failures") instanceof List<?> failed && failed.isEmpty();
        return success instanceof Double d && d == 1.0 && allOpened ? 0 : 1;
    }
}
