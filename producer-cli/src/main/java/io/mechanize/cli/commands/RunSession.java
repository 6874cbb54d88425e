package io.mechanize.cli.commands;

import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.client.FleetClient;
import io.mechanize.cli.results.EventJson;
import io.mechanize.cli.results.ProgressBar;
import io.mechanize.cli.results.RunSummary;
import io.mechanize.cli.results.RunTracker;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SimulationSpec;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Submits a run, follows it to the end with a progress bar, writes its events, and summarises. */
final class RunSession {
    private RunSession() {}

    record Outcome(RunTracker tracker, boolean finished, Duration wallTime) {}

    static Outcome execute(Cluster cluster, List<SimulationSpec> specs, Path resultsOut, Duration timeout,
            PrintStream console) {
        Clock clock = Clock.systemUTC();
        RunPlan plan = RunPlan.of(RunPlan.newRunId(clock), specs, clock);
        RunTracker tracker = new RunTracker(plan);
        Instant started = clock.instant();
        console.printf("run %s: %d simulations, %d commands%n", plan.runId(), plan.workspaces().size(),
                plan.commandCount());
        try (FleetClient client = new FleetClient(cluster);
                BufferedWriter writer = resultsOut == null ? null : Files.newBufferedWriter(resultsOut)) {
            client.ensureTopics(io.mechanize.worker.WorkerConfig.DEFAULT_PARTITIONS, (short) 0);
            try (FleetClient.ResultsReader reader = client.openResultsFromNow()) {
                client.submit(plan);
                ProgressBar bar = new ProgressBar(console, System.console() != null, clock);
                boolean finished = reader.follow(tracker, timeout, event -> {
                    if (writer != null) {
                        try {
                            writer.write(EventJson.toJsonLine(event));
                            writer.newLine();
                        } catch (IOException e) {
                            throw new UncheckedIOException("cannot write results to " + resultsOut, e);
                        }
                    }
                }, () -> bar.update(tracker.finished(), tracker.total(), tracker.failures()), clock);
                bar.update(tracker.finished(), tracker.total(), tracker.failures());
                bar.finish();
                return new Outcome(tracker, finished, Duration.between(started, clock.instant()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write results to " + resultsOut, e);
        }
    }

    static void printSummary(Outcome outcome, PrintStream out) {
        RunSummary.print(outcome.tracker(), outcome.wallTime(), outcome.finished(), out);
    }
}
