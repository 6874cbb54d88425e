package io.mechanize.cli.commands;

import io.mechanize.cli.client.FleetClient;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SimulationSpec;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "submit", mixinStandardHelpOptions = true,
        description = "Submit every simulation of a spec file to a running cluster and print the run id.")
public final class SubmitCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC.jsonl")
    Path specFile;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        var read = SpecFiles.read(specFile);
        if (read.isEmpty()) {
            return SpecFiles.INVALID_SPEC;
        }
        List<SimulationSpec> specs = read.get();
        Clock clock = Clock.systemUTC();
        RunPlan plan = RunPlan.of(RunPlan.newRunId(clock), specs, clock);
        try (FleetClient client = new FleetClient(cluster.require(spec))) {
            client.ensureTopics(io.mechanize.worker.WorkerConfig.DEFAULT_PARTITIONS, (short) 0);
            client.submit(plan);
        }
        System.out.println(plan.runId());
        return 0;
    }
}
