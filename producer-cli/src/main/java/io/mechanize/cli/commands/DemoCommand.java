package io.mechanize.cli.commands;

import io.mechanize.cli.dashboard.Dashboard;
import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.cli.spec.SimulationSpec;
import io.mechanize.cli.spec.SpecException;
import io.mechanize.cli.spec.SpecParser;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the bundled suite end to end on this machine: a real Kafka broker (KRaft), the schema "
                + "registry and a worker start in this process, and every workspace runs in a hardened container "
                + "on the local Docker engine.",
                "Exits 0 when every simulation completed."})
public final class DemoCommand implements Callable<Integer> {
    static final String BUNDLED_SUITE = "/examples/demo.jsonl";

    @Option(names = "--suite", paramLabel = "SPEC.jsonl",
            description = "Run this spec file instead of the bundled examples/demo.jsonl.")
    Path suite;

    @Option(names = "--max-workspaces", defaultValue = "8",
            description = "Workspaces the embedded worker runs at once. Default: ${DEFAULT-VALUE}.")
    int maxWorkspaces;

    @Option(names = "--results-out", paramLabel = "FILE.jsonl", description = "Write every result event here.")
    Path resultsOut;

    @Option(names = "--timeout", defaultValue = "10m", description = "Give up after this long. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--dashboard", description = "Serve the live dashboard of the embedded stack while the demo runs "
            + "(and, on a terminal, until Enter after the summary); prints its URL.")
    boolean dashboard;

    @Option(names = "--dashboard-port", defaultValue = "8265",
            description = "Its port on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int dashboardPort;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Duration limit = Durations.parse(timeout, spec);
        List<SimulationSpec> specs;
        try {
            specs = suite == null ? bundledSuite() : SpecParser.parse(suite);
        } catch (SpecException e) {
            System.err.println("invalid suite: " + e.getMessage());
            return 2;
        }
        System.err.println("starting the embedded stack (Kafka broker, schema registry, worker) ...");
        long started = System.nanoTime();
        try (EmbeddedStack stack = EmbeddedStack.start(null, 0, 0)) {
            stack.startWorker(maxWorkspaces);
            System.err.printf("stack up in %.1f s: bootstrap.servers=%s schema.registry.url=%s%n",
                    (System.nanoTime() - started) / 1e9, stack.bootstrapServers(), stack.schemaRegistryUrl());
            try (Dashboard board = dashboard ? Dashboard.start(stack.cluster(), dashboardPort, Duration.ofHours(1))
                    : null) {
                if (board != null) {
                    System.err.println("dashboard: " + board.url());
                }
                RunSession.Outcome outcome = RunSession.execute(stack.cluster(), specs, resultsOut, limit, System.err);
                RunSession.printSummary(outcome, System.out);
                if (board != null && System.console() != null) {
                    System.err.println("dashboard still at " + board.url() + ": press Enter to stop");
                    System.console().readLine();
                }
                boolean allCompleted = outcome.finished() && outcome.tracker().completed() == outcome.tracker().total();
                return allCompleted ? 0 : 1;
            }
        }
    }

    static List<SimulationSpec> bundledSuite() throws Exception {
        try (InputStream in = DemoCommand.class.getResourceAsStream(BUNDLED_SUITE)) {
            if (in == null) {
                throw new IllegalStateException("the bundled suite " + BUNDLED_SUITE + " is missing from the jar");
            }
            return SpecParser.parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        }
    }
}
