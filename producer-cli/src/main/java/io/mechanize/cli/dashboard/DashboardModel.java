package io.mechanize.cli.dashboard;

import io.mechanize.cli.fleet.FleetView;
import io.mechanize.cli.results.RunTracker;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.avro.WorkspaceFailed;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the dashboard shows, built from the fleet's topics: workers from their {@code WorkerMetrics}
 * snapshots ({@link FleetView}), each run's progress from its commands and result events (an open
 * {@link RunTracker} per run), actions per time bucket, and the latest failures and violations.
 * Thread-safe: fed by the readers' threads, read by the HTTP server's.
 */
public final class DashboardModel {
    static final Duration BUCKET = Duration.ofSeconds(5);
    static final int BUCKETS = 72; // six minutes
    static final int MAX_RUNS = 20;
    static final int MAX_PROBLEMS = 30;

    /** The page's whole state, as {@code /api/state} serves it; times are epoch milliseconds. */
    public record State(long at, Fleet fleet, List<Worker> workers, List<Bucket> throughput, List<Run> runs,
            List<Problem> problems) {}

    public record Fleet(int liveWorkers, int capacity, int activeWorkspaces, double actionsPerSecond, long lag,
            int openWorkspaces) {}

    public record Worker(String workerId, boolean silent, long seenSecondsAgo, int activeWorkspaces, int capacity,
            double actionsPerSecond, long lag, long actions, long actionsFailed, double actionP95Ms) {}

    /** Actions that finished in [{@code start}, start + {@code seconds}). */
    public record Bucket(long start, int seconds, long actions, long succeeded) {}

    public record Run(String runId, int total, int finished, int completed, int failures, long actions,
            long actionsSucceeded, long evaluations, long evaluationsPassed, boolean done, long lastSeen) {}

    /** A failed workspace, a rejected command or an action that hit a limit. */
    public record Problem(long at, String runId, String workspaceId, long commandSeq, String kind,
            String detail) {}

    private final FleetView fleet;
    private final Map<String, RunTracker> runs = new HashMap<>();
    private final Map<String, Instant> runLastSeen = new HashMap<>();
    private final TreeMap<Long, long[]> buckets = new TreeMap<>();
    private final Deque<Problem> problems = new ArrayDeque<>();

    public DashboardModel(Duration staleAfter) {
        this.fleet = new FleetView(staleAfter);
    }

    public synchronized void onMetrics(WorkerMetrics metrics) {
        fleet.accept(metrics);
    }

    public synchronized void onCommand(SimulationCommand command, Instant at) {
        String task = command.getBody() instanceof CreateWorkspace c ? c.getTask().getTaskId() : null;
        run(command.getRunId(), at).expect(command.getWorkspaceId(), command.getSeq(), task);
    }

    public synchronized void onEvent(SimulationEvent event) {
        run(event.getRunId(), event.getEmittedAt()).accept(event);
        switch (event.getBody()) {
            case ActionResult r -> {
                long[] b = buckets.computeIfAbsent(event.getEmittedAt().toEpochMilli() / BUCKET.toMillis(),
                        k -> new long[2]);
                b[0]++;
                if (r.getSuccess()) {
                    b[1]++;
                }
                while (buckets.size() > BUCKETS * 2) {
                    buckets.pollFirstEntry();
                }
                for (SecurityViolation v : r.getSecurityViolations()) {
                    problem(event, "violation " + v.getType(), r.getActionType() + " " + r.getActionId() + ": "
                            + v.getDetail());
                }
            }
            case WorkspaceFailed f -> problem(event, "workspace failed", f.getStage() + ": " + f.getReason());
            case CommandRejected c -> problem(event, "command rejected", c.getStage() + ": " + c.getReason());
            default -> { }
        }
    }

    private RunTracker run(String runId, Instant at) {
        Instant last = runLastSeen.get(runId);
        if (last == null || at.isAfter(last)) {
            runLastSeen.put(runId, at);
        }
        RunTracker tracker = runs.computeIfAbsent(runId, RunTracker::open);
        if (runs.size() > MAX_RUNS) {
            String oldest = runLastSeen.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
            runs.remove(oldest);
            runLastSeen.remove(oldest);
        }
        return tracker;
    }

    private void problem(SimulationEvent event, String kind, String detail) {
        problems.addFirst(new Problem(event.getEmittedAt().toEpochMilli(), event.getRunId(), event.getWorkspaceId(),
                event.getCommandSeq(), kind, detail.length() > 300 ? detail.substring(0, 300) + "..." : detail));
        while (problems.size() > MAX_PROBLEMS) {
            problems.removeLast();
        }
    }

    public synchronized State state(Instant now) {
        FleetView.Frame frame = fleet.frame(now);
        List<Worker> workers = frame.workers().stream()
                .map(w -> new Worker(w.workerId(), w.silent(), w.age().toSeconds(), w.activeWorkspaces(),
                        w.capacity(), w.actionsPerSecond(), w.lag(), w.actions(), w.actionsFailed(), w.actionP95Ms()))
                .toList();
        List<Run> runList = new ArrayList<>();
        int open = 0;
        for (Map.Entry<String, RunTracker> e : runs.entrySet()) {
            RunTracker t = e.getValue();
            open += t.total() - t.finished();
            runList.add(new Run(e.getKey(), t.total(), t.finished(), t.completed(), t.failures(), t.actions(),
                    t.actionsSucceeded(), t.evaluations(), t.evaluationsPassed(), t.allFinished(),
                    runLastSeen.get(e.getKey()).toEpochMilli()));
        }
        runList.sort(Comparator.comparingLong(Run::lastSeen).reversed());
        long bucketMillis = BUCKET.toMillis();
        long last = now.toEpochMilli() / bucketMillis;
        List<Bucket> series = new ArrayList<>(BUCKETS);
        for (long k = last - BUCKETS + 1; k <= last; k++) {
            long[] b = buckets.getOrDefault(k, new long[2]);
            series.add(new Bucket(k * bucketMillis, (int) BUCKET.toSeconds(), b[0], b[1]));
        }
        return new State(now.toEpochMilli(), new Fleet(frame.liveWorkers(), frame.capacity(), frame.activeWorkspaces(),
                frame.actionsPerSecond(), frame.lag(), open), workers, series, runList, List.copyOf(problems));
    }
}
