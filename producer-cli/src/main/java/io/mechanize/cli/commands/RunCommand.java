package io.mechanize.cli.commands;

import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.cli.spec.SimulationSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Submit every simulation of a spec file, wait until all have finished, and write every "
                + "result event as one JSON object per line.",
                "Exits 0 when all finished (a failed action is data, not an error), 1 when the infrastructure "
                        + "failed or the run timed out, 2 when the spec is invalid."})
public final class RunCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC.jsonl", description = "One simulation per line (JSON).")
    Path specFile;

    @Option(names = "--embedded", description = "Start a broker, registry and worker in this process.")
    boolean embedded;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--results-out", paramLabel = "FILE.jsonl", description = "Write every result event here.")
    Path resultsOut;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m",
            description = "Give up after this long (e.g. 90s, 10m, 2h). Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--max-workspaces", defaultValue = "16",
            description = "With --embedded: workspaces the embedded worker runs at once. Default: ${DEFAULT-VALUE}.")
    int maxWorkspaces;

    @Override
    public Integer call() throws Exception {
        Duration limit = Durations.parse(timeout, spec);
        var read = SpecFiles.read(specFile);
        if (read.isEmpty()) {
            return SpecFiles.INVALID_SPEC;
        }
        List<SimulationSpec> specs = read.get();
        if (embedded == cluster.named()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "use either --embedded or --bootstrap-servers with --schema-registry");
        }
        if (embedded) {
            try (EmbeddedStack stack = EmbeddedStack.start(null, 0, 0)) {
                stack.startWorker(maxWorkspaces);
                return report(RunSession.execute(stack.cluster(), specs, resultsOut, limit, System.err));
            }
        }
        Cluster target = cluster.require(spec);
        return report(RunSession.execute(target, specs, resultsOut, limit, System.err));
    }

    private int report(RunSession.Outcome outcome) {
        RunSession.printSummary(outcome, System.out);
        return outcome.finished() ? 0 : 1;
    }
}
