package io.mechanize.cli.results;

import io.mechanize.cli.spec.RunPlan;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceFailed;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows a run from its result events. A simulation is finished when every command sent for it
 * has been answered (each command yields at least one event); it completed when it also closed
 * without a failure or a rejection. Not thread-safe: fed by one consumer thread.
 */
public final class RunTracker {

    /** Where one workspace stands. */
    private static final class Progress {
        final int commands;
        final BitSet answered = new BitSet();
        boolean closed;
        boolean failed;
        boolean rejected;
        String problem;

        Progress(int commands) {
            this.commands = commands;
        }

        boolean finished() {
            return answered.cardinality() >= commands;
        }
    }

    private final String runId;
    private final Map<String, Progress> progress = new HashMap<>();
    private final Map<String, String> taskOf = new HashMap<>();
    private int finished;
    private long actions;
    private long actionsSucceeded;
    private long evaluations;
    private long evaluationsPassed;
    private final List<Long> actionMillis = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    public RunTracker(RunPlan plan) {
        this.runId = plan.runId();
        for (RunPlan.PlannedWorkspace w : plan.workspaces()) {
            progress.put(w.workspaceId(), new Progress(w.commands().size()));
            taskOf.put(w.workspaceId(), w.taskId());
        }
    }

    /** Takes one event; returns true when it belonged to this run. */
    public boolean accept(SimulationEvent event) {
        if (!runId.equals(event.getRunId())) {
            return false;
        }
        Progress p = progress.get(event.getWorkspaceId());
        if (p == null) {
            return false;
        }
        boolean wasFinished = p.finished();
        Object body = event.getBody();
        if (body instanceof ActionResult r) {
            actions++;
            if (r.getSuccess()) {
                actionsSucceeded++;
            }
            actionMillis.add(r.getExecutionTimeMs());
        } else if (body instanceof EvaluationMetrics m) {
            evaluations++;
            if (m.getPassed()) {
                evaluationsPassed++;
            }
        } else if (body instanceof WorkspaceClosed) {
            p.closed = true;
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
        if (!wasFinished && p.finished()) {
            finished++;
        }
        return true;
    }

    private void note(Progress p, SimulationEvent event, String problem) {
        if (p.problem == null) {
            p.problem = problem;
            problems.add(event.getWorkspaceId() + " (" + taskOf.get(event.getWorkspaceId()) + "): " + problem);
        }
    }

    public String runId() {
        return runId;
    }

    public int total() {
        return progress.size();
    }

    public int finished() {
        return finished;
    }

    public boolean allFinished() {
        return finished == progress.size();
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
