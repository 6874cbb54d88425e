package io.mechanize.cli.commands;

import io.mechanize.cli.client.RunReader;
import io.mechanize.cli.export.RunExport;
import io.mechanize.schemas.avro.SimulationEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a run's results as tables for analysis: OUT/actions.<format> (one row per action "
                + "result: workspace, task, command_seq, the action's fields flattened, resource columns, violation "
                + "types) and OUT/evaluations.<format> (one row per evaluation).",
                "Reads mechanize.results read_committed up to its current end; run it after the run finished."})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", required = true, paramLabel = "RUN_ID")
    String runId;

    @Option(names = "--format", defaultValue = "parquet", description = "parquet or jsonl. Default: ${DEFAULT-VALUE}.")
    RunExport.Format format;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the two files.")
    Path out;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        long[] events = {0};
        try (RunReader reader = new RunReader(cluster.require(spec), runId);
                RunExport export = new RunExport(out, format)) {
            RunReader.Listener listener = new RunReader.Listener() {
                @Override
                public void onCommand(String workspaceId, long seq, String taskIdOrNull) {}

                @Override
                public void onEvent(SimulationEvent event) {
                    events[0]++;
                    export.accept(event);
                }
            };
            do {
                reader.poll(Duration.ofMillis(200), listener);
            } while (!reader.caughtUp());
            System.err.printf("run %s: %d events; %d action rows in %s, %d evaluation rows in %s%n", runId, events[0],
                    export.actionRows(), out.resolve("actions." + format), export.evaluationRows(),
                    out.resolve("evaluations." + format));
        }
        if (events[0] == 0) {
            System.err.println("run " + runId + " has no results on this cluster");
            return 1;
        }
        return 0;
    }
}
