package io.mechanize.cli.commands;

import io.mechanize.cli.client.RunReader;
import io.mechanize.cli.results.EventJson;
import io.mechanize.cli.results.ProgressBar;
import io.mechanize.cli.results.RunSummary;
import io.mechanize.cli.results.RunTracker;
import io.mechanize.schemas.avro.SimulationEvent;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "results", mixinStandardHelpOptions = true,
        description = {"Read a run's result events back from mechanize.results (read_committed, from the beginning) "
                + "and summarise them, or print them as JSON lines.",
                "The run's size comes from its commands on mechanize.commands: each workspace sent commands "
                        + "0..N and is finished when all N+1 were answered.",
                "Exits 0 when the run was found (with --follow: when it finished), 1 otherwise."})
public final class ResultsCommand implements Callable<Integer> {
    enum Format { table, jsonl }

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", required = true, paramLabel = "RUN_ID", description = "The run id that submit printed.")
    String runId;

    @Option(names = "--follow", description = "Keep reading, with a progress bar on stderr, until the run finished.")
    boolean follow;

    @Option(names = "--format", defaultValue = "table",
            description = "table (a summary) or jsonl (every event as a JSON line). Default: ${DEFAULT-VALUE}.")
    Format format;

    @Option(names = "--timeout", defaultValue = "24h", paramLabel = "DURATION",
            description = "With --follow: give up after this long. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Mixin
    ClusterOptions cluster;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() {
        Duration limit = Durations.parse(timeout, spec);
        Clock clock = Clock.systemUTC();
        Instant started = clock.instant();
        RunTracker tracker = RunTracker.open(runId);
        ProgressBar bar = follow ? new ProgressBar(err, System.console() != null, clock) : null;
        boolean finished;
        try (RunReader reader = new RunReader(cluster.require(spec), runId)) {
            RunReader.Listener listener = new RunReader.Listener() {
                @Override
                public void onCommand(String workspaceId, long seq, String taskIdOrNull) {
                    tracker.expect(workspaceId, seq, taskIdOrNull);
                }

                @Override
                public void onEvent(SimulationEvent event) {
                    tracker.accept(event);
                    if (format == Format.jsonl) {
                        out.println(EventJson.toJsonLine(event));
                    }
                }
            };
            Instant deadline = started.plus(limit);
            while (true) {
                reader.poll(Duration.ofMillis(200), listener);
                boolean caughtUp = reader.caughtUp();
                if (bar != null && caughtUp) {
                    bar.update(tracker.finished(), tracker.total(), tracker.failures());
                }
                if (caughtUp && (!follow || tracker.allFinished())) {
                    finished = tracker.allFinished();
                    break;
                }
                if (follow && !clock.instant().isBefore(deadline)) {
                    finished = false;
                    break;
                }
            }
        }
        if (bar != null) {
            bar.finish();
        }
        if (tracker.total() == 0) {
            err.println("run " + runId + " has no commands or results on this cluster");
            return 1;
        }
        if (format == Format.table) {
            RunSummary.print(tracker, follow ? Duration.between(started, clock.instant()) : null, finished, out);
        }
        return !follow || finished ? 0 : 1;
    }
}
