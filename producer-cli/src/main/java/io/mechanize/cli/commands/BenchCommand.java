package io.mechanize.cli.commands;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mechanize.cli.bench.BenchOptions;
import io.mechanize.cli.bench.BenchRunner;
import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.worker.WorkerConfig;
import io.mechanize.worker.sandbox.DockerEngine;
import io.mechanize.worker.sandbox.EngineBaselines;
import java.nio.file.Path;
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

    @Option(names = "--pool-size", defaultValue = "" + WorkerConfig.DEFAULT_POOL_SIZE,
            description = "Warm pool of the embedded worker, per key; 0: off. Default: ${DEFAULT-VALUE}.")
    int poolSize;

    @Option(names = "--image", defaultValue = "mechanize/dev-env:latest", description = "Default: ${DEFAULT-VALUE}.")
    String image;

    @Option(names = "--profile-memory", description = "Also report JVM heap, threads and the spread of container memory.")
    boolean profileMemory;

    @Option(names = "--save-results", paramLabel = "FILE.json", description = "Write the figures as JSON here.")
    Path saveResults;

    @Override
    public Integer call() throws Exception {
        BenchOptions options = new BenchOptions(numConcurrent, actionsPerSim,
                simulations == null ? 2 * numConcurrent : simulations, image, profileMemory);
        String tag = "bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 24);
        Map<String, String> baselineLabels = Map.of("mechanize.bench", tag);
        Map<String, Object> figures;
        try (DockerEngine engine = DockerEngine.fromEnvironment()) {
            EngineBaselines baselines = new EngineBaselines(engine, baselineLabels);
            try {
                if (cluster.named()) {
                    Cluster target = cluster.require(spec);
                    figures = new BenchRunner(target, baselines, options, false, System.err).run();
                } else {
                    System.err.println("starting the embedded stack (Kafka broker, schema registry, worker) ...");
                    try (EmbeddedStack stack = EmbeddedStack.start(null, 0, 0)) {
                        stack.startWorker(config -> config.with(c -> {
                            c.maxWorkspaces = numConcurrent;
                            c.groupId = tag;
                            c.poolSize = poolSize;
                        }));
                        figures = new BenchRunner(stack.cluster(), baselines, options, true, System.err).run();
                    }
                }
            } finally {
                baselines.removeAll(baselineLabels);
            }
        }
        figures.put("pool_size", cluster.named() ? null : poolSize);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        figures.forEach((k, v) -> System.out.printf("%-42s %s%n", k, v));
        if (saveResults != null) {
            json.writeValue(saveResults.toFile(), figures);
            System.err.println("figures written to " + saveResults);
        }
        Object success = figures.get("success_rate");
        return success instanceof Double d && d == 1.0 ? 0 : 1;
    }
}
