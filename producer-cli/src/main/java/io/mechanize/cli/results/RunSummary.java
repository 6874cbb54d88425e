package io.mechanize.cli.results;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The summary table of a run, the same for {@code run}, {@code demo} and {@code results}:
 * simulations, evaluation pass and resolved rates, action success by type, action time
 * quantiles, violations by type, the slowest tasks and the first problems.
 */
public final class RunSummary {
    private static final int LABEL = 26;
    private static final int MAX_PROBLEMS = 20;
    private static final int SLOWEST = 5;

    private RunSummary() {}

    /**
     * @param wallTime how long the caller watched the run, or null when it only read its events
     * @param finished false when the caller gave up waiting (names the unfinished simulations)
     */
    public static void print(RunTracker t, Duration wallTime, boolean finished, PrintStream out) {
        out.println();
        row(out, "run", t.runId());
        row(out, "simulations", "%d (%d completed, %d failed or rejected, %d unfinished)".formatted(t.total(),
                t.completed(), t.failures(), t.total() - t.finished()));
        row(out, "evaluations passed", ratio(t.evaluationsPassed(), t.evaluations()));
        row(out, "resolved (SWE-bench)", t.verdicts() == 0 ? "-" : ratio(t.resolved(), t.verdicts()));
        row(out, "actions succeeded", ratio(t.actionsSucceeded(), t.actions()));
        for (Map.Entry<String, RunTracker.Count> e : t.actionsByType().entrySet()) {
            row(out, "  " + e.getKey(), ratio(e.getValue().succeeded(), e.getValue().total()));
        }
        row(out, "action time p50/p95/p99", "%d / %d / %d ms".formatted(t.actionMillisQuantile(0.50),
                t.actionMillisQuantile(0.95), t.actionMillisQuantile(0.99)));
        long violations = t.violationsByType().values().stream().mapToLong(Long::longValue).sum();
        row(out, "security violations", Long.toString(violations));
        t.violationsByType().forEach((type, n) -> row(out, "  " + type, Long.toString(n)));
        if (wallTime != null) {
            row(out, "wall time", "%.1f s".formatted(wallTime.toMillis() / 1000.0));
        }
        List<RunTracker.TaskTime> slowest = t.slowestTasks(SLOWEST);
        if (!slowest.isEmpty()) {
            out.println();
            out.printf("slowest tasks (workspace lifetime)%n  %-40s %5s %10s %10s%n", "task", "sims", "mean", "max");
            for (RunTracker.TaskTime task : slowest) {
                out.printf("  %-40s %5d %8.1f s %8.1f s%n", task.taskId(), task.simulations(), task.meanMs() / 1000.0,
                        task.maxMs() / 1000.0);
            }
        }
        if (!t.problems().isEmpty()) {
            out.println();
            out.println("problems:");
            t.problems().stream().limit(MAX_PROBLEMS).forEach(p -> out.println("  " + p));
            if (t.problems().size() > MAX_PROBLEMS) {
                out.printf("  ... and %d more%n", t.problems().size() - MAX_PROBLEMS);
            }
        }
        if (!finished) {
            out.println();
            out.printf("unfinished: %d simulations, e.g. %s%n", t.total() - t.finished(),
                    t.unfinished().stream().limit(5).toList());
        }
    }

    static String ratio(long part, long whole) {
        return whole == 0 ? "0 / 0" : "%d / %d (%.1f%%)".formatted(part, whole, 100.0 * part / whole);
    }

    private static void row(PrintStream out, String label, String value) {
        out.printf("%-" + LABEL + "s %s%n", label, value);
    }
}
