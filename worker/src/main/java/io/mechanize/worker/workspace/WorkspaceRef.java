package io.mechanize.worker.workspace;

import static java.util.Objects.requireNonNull;

/** Who a workspace is and who runs it: the ids every container label and log line carries. */
public record WorkspaceRef(String workspaceId, String runId, String workerId) {
    public WorkspaceRef {
        requireNonNull(workspaceId, "workspaceId is null");
        requireNonNull(runId, "runId is null");
        requireNonNull(workerId, "workerId is null");
    }
}
