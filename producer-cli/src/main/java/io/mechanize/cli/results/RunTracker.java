package io.mechanize.cli.results;

import io.mechanize.cli.spec.RunPlan;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.avro.WorkspaceFailed;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Follows a run from its result events. A simulation is finished when every command sent for it
 * has been answered (each command yields at least one event); it completed when it also closed
 * without a failure or a rejection. Not thread-safe: fed by one consumer thread.
 *
 * <p>Built from a {@link RunPlan} it knows every workspace and its command count up front. Built
 * with {@link #open} (a reader of a run someone else submitted) it learns them from the run's
 * commands through {@link #expect}, in any order relative to the events: a workspace whose
 * commands have not been seen yet is never finished.
 */
public final class RunTracker {
    private static final int UNKNOWN = -1;

    /** Where one workspace stands. */
    private static final class Progress {
        int commands;
        final BitSet answered = new BitSet();
        String taskId;
        boolean closed;
        boolean failed;
        boolean rejected;
        String problem;
        long lifetimeMs = -1;

        Progress(int commands, String taskId) {
            this.commands = commands;
            this.taskId = taskId;
        }

        boolean finished() {
            return commands != UNKNOWN && answered.cardinality() >= commands;
        }
    }

    /** Successes and attempts of one kind of action. */
    public record Count(long succeeded, long total) {}

    /** A task's simulations and their mean and longest workspace lifetime (create to close). */
    public record TaskTime(String taskId, int simulations, long meanMs, long maxMs) {}

    private final String runId;
    private final boolean learnsWorkspaces;
    private final Map<String, Progress> progress = new HashMap<>();
    private long actions;
    private long actionsSucceeded;
    private long evaluations;
    private long evaluationsPassed;
    private long verdicts;
    private long resolved;
    private final Map<String, long[]> actionsByType = new TreeMap<>();
    private final Map<String, Long> violationsByType = new TreeMap<>();
    private final List<Long> actionMillis = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    public RunTracker(RunPlan plan) {
        this(plan.runId(), false);
        for (RunPlan.PlannedWorkspace w : plan.workspaces()) {
            progress.put(w.workspaceId(), new Progress(w.commands().size(), w.taskId()));
        }
    }

    private RunTracker(String runId, boolean learnsWorkspaces) {
        this.runId = runId;
        this.learnsWorkspaces = learnsWorkspaces;
    }

    /** A tracker that learns the run's workspaces from its commands ({@link #expect}) and events. */
    public static RunTracker open(String runId) {
        return new RunTracker(runId, true);
    }

    /** Records that command {@code seq} was sent for a workspace of this run (open trackers only). */
    public void expect(String workspaceId, long seq, String taskId) {
        if (!learnsWorkspaces) {
            return;
        }
        Progress p = progress.computeIfAbsent(workspaceId, id -> new Progress(UNKNOWN, taskId));
        p.commands = (int) Math.max(p.commands, seq + 1);
        if (taskId != null) {
            p.taskId = taskId;
        }
    }

    /** Takes one event; returns true when it belonged to this run. */
    public boolean accept(SimulationEvent event) {
        if (!runId.equals(event.getRunId())) {
            return false;
        }
        Progress p = progress.get(event.getWorkspaceId());
        if (p == null) {
            if (!learnsWorkspaces) {
                return false;
            }
            p = new Progress(UNKNOWN, null);
            progress.put(event.getWorkspaceId(), p);
        }
        Object body = event.getBody();
        if (body instanceof ActionResult r) {
            action(r);
        } else if (body instanceof EvaluationMetrics m) {
            evaluations++;
            if (m.getPassed()) {
                evaluationsPassed++;
            }
            if (m.getResolved() != null) {
                verdicts++;
                if (m.getResolved()) {
                    resolved++;
                }
            }
        } else if (body instanceof WorkspaceCreated c) {
            if (p.taskId == null) {
                p.taskId = c.getTaskId();
            }
        } else if (body instanceof WorkspaceClosed c) {
            p.closed = true;
            p.lifetimeMs = c.getLifetimeMs();
        } else if (body instanceof WorkspaceFailed f) {
            p.failed = true;
            note(p, event, "failed at " + f.getStage() + ": " + f.getReason());
        } else if (body instanceof CommandRejected c) {
            p.rejected = true;
            note(p, event, "command " + event.getCommandSeq() + " rejected: " + c.getReason());
        }
        if (event.getCommandSeq() >= 0) {
            p.answered.set((int) event.getCommandSeq());
        }
        return true;
    }

    private void action(ActionResult r) {
        actions++;
        if (r.getSuccess()) {
            actionsSucceeded++;
        }
        long[] byType = actionsByType.computeIfAbsent(r.getActionType().name(), t -> new long[2]);
        byType[1]++;
        if (r.getSuccess()) {
            byType[0]++;
        }
        for (SecurityViolation v : r.getSecurityViolations()) {
            violationsByType.merge(v.getType().name(), 1L, Long::sum);
        }
        actionMillis.add(r.getExecutionTimeMs());
    }

    private void note(Progress p, SimulationEvent event, String problem) {
        if (p.problem == null) {
            p.problem = problem;
            problems.add(event.getWorkspaceId() + " (" + p.taskId + "): " + problem);
        }
    }

    public String runId() {
        return runId;
    }

    /** Simulations known: all of the plan's, or those whose commands or events were seen. */
    public int total() {
        return progress.size();
    }

    public int finished() {
        return (int) progress.values().stream().filter(Progress::finished).count();
    }

    /** Every known simulation finished (false while none is known). */
    public boolean allFinished() {
        return !progress.isEmpty() && finished() == progress.size();
    }

    /** Finished, closed, and never failed or rejected. */
    public int completed() {
        return (int) progress.values().stream().filter(p -> p.finished() && p.closed && !p.failed && !p.rejected)
                .count();
    }

    public int failures() {
        return (int) progress.values().stream().filter(p -> p.failed || p.rejected).count();
    }

    public List<String> problems() {
        return Collections.unmodifiableList(problems);
    }

    public List<String> unfinished() {
        return progress.entrySet().stream().filter(e -> !e.getValue().finished()).map(Map.Entry::getKey).sorted()
                .toList();
    }

    public long actions() {
        return actions;
    }

    public long actionsSucceeded() {
        return actionsSucceeded;
    }

    public long evaluations() {
        return evaluations;
    }

    public long evaluationsPassed() {
        return evaluationsPassed;
    }

    /** Evaluations that carried a SWE-bench verdict ({@code resolved} not null). */
    public long verdicts() {
        return verdicts;
    }

    public long resolved() {
        return resolved;
    }

    /** Action outcomes by {@code action_type}, in name order. */
    public Map<String, Count> actionsByType() {
        Map<String, Count> out = new TreeMap<>();
        actionsByType.forEach((type, c) -> out.put(type, new Count(c[0], c[1])));
        return out;
    }

    /** Security violations by type, in name order. */
    public Map<String, Long> violationsByType() {
        return Collections.unmodifiableMap(violationsByType);
    }

    /** Tasks by their longest workspace lifetime, slowest first; only closed workspaces count. */
    public List<TaskTime> slowestTasks(int limit) {
        Map<String, List<Long>> byTask = new HashMap<>();
        progress.values().stream().filter(p -> p.lifetimeMs >= 0)
                .forEach(p -> byTask.computeIfAbsent(String.valueOf(p.taskId), t -> new ArrayList<>())
                        .add(p.lifetimeMs));
        return byTask.entrySet().stream()
                .map(e -> new TaskTime(e.getKey(), e.getValue().size(),
                        Math.round(e.getValue().stream().mapToLong(Long::longValue).average().orElse(0)),
                        e.getValue().stream().mapToLong(Long::longValue).max().orElse(0)))
                .sorted(Comparator.comparingLong(TaskTime::maxMs).reversed().thenComparing(TaskTime::taskId))
                .limit(limit)
                .toList();
    }

    /** The q-quantile (0..1) of action execution times, nearest rank; 0 when no action ran. */
    public long actionMillisQuantile(double q) {
        if (actionMillis.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(actionMillis);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
