package io.mechanize.worker.workspace;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import java.util.List;

/**
 * One live workspace. Calls are made one at a time (the dispatcher guarantees per-workspace
 * order), from a virtual thread; implementations may block.
 */
public interface Workspace extends AutoCloseable {

    WorkspaceRef ref();

    /** The engine's id of the container that holds the workspace. */
    String containerId();

    /** Whether its container was taken ready from a warm pool (WorkspaceCreated.from_pool). */
    default boolean fromPool() {
        return false;
    }

    /** Number of snapshot files placed at creation. */
    int snapshotFiles();

    /**
     * Runs one action. Never throws for a failure of the action itself (a non-zero exit, a
     * missing file, a path that escapes, a timeout): those are data in the returned result.
     *
     * @param index the action's position in its batch (0-based)
     * @throws WorkspaceException only when the workspace itself is gone (container died)
     */
    ActionResult execute(Action action, int index) throws WorkspaceException;

    /** Runs the criteria and returns the verdict. */
    EvaluationMetrics evaluate(List<EvaluationCriterion> criteria) throws WorkspaceException;

    /** Removes the container. Idempotent. */
    @Override
    void close();
}
