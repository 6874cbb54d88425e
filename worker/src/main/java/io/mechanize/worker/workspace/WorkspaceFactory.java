package io.mechanize.worker.workspace;

import io.mechanize.schemas.avro.CreateWorkspace;

/**
 * The seam between the worker's Kafka side (consume, dispatch, publish) and the place where a
 * workspace lives (a hardened Docker container, see the {@code sandbox} package). The worker
 * only ever talks to workspaces through this interface and {@link Workspace}.
 */
public interface WorkspaceFactory extends AutoCloseable {

    /**
     * Starts a workspace for {@code command}: a container from its image with the hardened
     * defaults and the command's limits and policy, labelled with the workspace, run and worker
     * ids, with the task's snapshot placed into {@code /workspace}.
     *
     * @throws WorkspaceException with a reason a user can act on (image missing, snapshot
     *     unreadable, engine unreachable); nothing is left running when it throws
     */
    Workspace create(WorkspaceRef ref, CreateWorkspace command) throws WorkspaceException;

    /**
     * Removes containers labelled as belonging to a mechanize worker that is not in
     * {@code liveWorkerIds} (and, for this worker's own id, containers not in use that are old
     * enough not to be still on their way to a lane: two minutes).
     *
     * @return how many containers were removed
     */
    int removeOrphans(java.util.Set<String> liveWorkerIds, java.util.Set<String> workspacesInUse);

    /**
     * Containers started, warm and waiting for a workspace (a warm pool's ready ones): what a
     * creation can take now without starting one; 0 for a factory without a pool.
     */
    int warmContainers();

    /** Removes every container this factory created and still holds. */
    @Override
    void close();
}
