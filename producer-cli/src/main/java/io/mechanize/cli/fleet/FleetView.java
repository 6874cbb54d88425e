package io.mechanize.cli.fleet;

import io.mechanize.schemas.avro.WorkerMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fleet as its {@code WorkerMetrics} snapshots describe it: per worker the latest snapshot, and
 * the throughput between its last two. A worker whose last snapshot is older than {@code staleAfter}
 * is shown as silent and left out of the totals. Not thread-safe.
 */
public final class FleetView {
    static final String LAG_PREFIX = "mechanize.worker.consumer.lag.";

    /** One worker's line. */
    public record WorkerRow(String workerId, Duration age, boolean silent, int capacity, int activeWorkspaces,
            double actionsPerSecond, long lag, long actions, long actionsFailed, long commandsConsumed,
            long commandsRejected, double actionP95Ms) {}

    /** The whole fleet at one instant. */
    public record Frame(Instant at, List<WorkerRow> workers, int liveWorkers, int capacity, int activeWorkspaces,
            double actionsPerSecond, long lag, long actions, long actionsFailed) {}

    private final Duration staleAfter;
    private final Map<String, WorkerMetrics> latest = new TreeMap<>();
    private final Map<String, WorkerMetrics> previous = new TreeMap<>();

    public FleetView(Duration staleAfter) {
        this.staleAfter = staleAfter;
    }

    public void accept(WorkerMetrics m) {
        WorkerMetrics last = latest.get(m.getWorkerId());
        if (last != null && !m.getEmittedAt().isAfter(last.getEmittedAt())) {
            return;
        }
        if (last != null) {
            previous.put(m.getWorkerId(), last);
        }
        latest.put(m.getWorkerId(), m);
    }

    public Frame frame(Instant now) {
        List<WorkerRow> rows = new ArrayList<>();
        for (WorkerMetrics m : latest.values()) {
            Duration age = Duration.between(m.getEmittedAt(), now);
            rows.add(new WorkerRow(m.getWorkerId(), age, age.compareTo(staleAfter) > 0, m.getCapacity(),
                    m.getActiveWorkspaces(), rate(previous.get(m.getWorkerId()), m), lag(m), actions(m),
                    m.getActionsFailed(), m.getCommandsConsumed(), m.getCommandsRejected(), m.getActionTimeP95Ms()));
        }
        rows.sort(Comparator.comparing(WorkerRow::silent).thenComparing(WorkerRow::workerId));
        List<WorkerRow> live = rows.stream().filter(r -> !r.silent()).toList();
        return new Frame(now, rows, live.size(), live.stream().mapToInt(WorkerRow::capacity).sum(),
                live.stream().mapToInt(WorkerRow::activeWorkspaces).sum(),
                live.stream().mapToDouble(WorkerRow::actionsPerSecond).sum(),
                live.stream().mapToLong(WorkerRow::lag).sum(), live.stream().mapToLong(WorkerRow::actions).sum(),
                live.stream().mapToLong(WorkerRow::actionsFailed).sum());
    }

    private static long actions(WorkerMetrics m) {
        return m.getActionsSucceeded() + m.getActionsFailed();
    }

    private static double rate(WorkerMetrics before, WorkerMetrics after) {
        if (before == null) {
            return 0;
        }
        long millis = after.getEmittedAt().toEpochMilli() - before.getEmittedAt().toEpochMilli();
        long delta = actions(after) - actions(before);
        return millis <= 0 || delta < 0 ? 0 : delta * 1000.0 / millis;
    }

    private static long lag(WorkerMetrics m) {
        double sum = 0;
        for (Map.Entry<String, Double> g : m.getGauges().entrySet()) {
            if (g.getKey().toString().startsWith(LAG_PREFIX)) {
                sum += g.getValue();
            }
        }
        return Math.round(sum);
    }

    /** The frame as text: a totals line, then one line per worker. */
    public static String render(Frame f) {
        StringBuilder out = new StringBuilder();
        out.append("mechanize fleet at %s: %d live workers, %d / %d workspaces active, %.1f actions/s, lag %d%n"
                .formatted(f.at().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), f.liveWorkers(),
                        f.activeWorkspaces(), f.capacity(), f.actionsPerSecond(), f.lag()));
        out.append("%-36s %8s %9s %10s %8s %10s %8s %9s%n".formatted("worker", "seen", "active", "actions/s",
                "lag", "actions", "failed", "p95 ms"));
        for (WorkerRow r : f.workers()) {
            out.append("%-36s %7ds %4d/%-4d %10.1f %8d %10d %8d %9.0f%s%n".formatted(r.workerId(), r.age().toSeconds(),
                    r.activeWorkspaces(), r.capacity(), r.actionsPerSecond(), r.lag(), r.actions(), r.actionsFailed(),
                    r.actionP95Ms(), r.silent() ? "  (silent)" : ""));
        }
        if (f.workers().isEmpty()) {
            out.append("(no worker metrics on mechanize.metrics yet)%n".formatted());
        }
        return out.toString();
    }
}
