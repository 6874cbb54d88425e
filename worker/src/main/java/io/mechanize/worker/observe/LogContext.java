package io.mechanize.worker.observe;

import org.slf4j.MDC;

/** An MDC scope: every log line inside it names the workspace and run it is about. */
public final class LogContext implements AutoCloseable {
    public static final String WORKSPACE_ID = "workspace_id";
    public static final String RUN_ID = "run_id";

    private LogContext() {}

    public static LogContext forWorkspace(String workspaceId, String runId) {
        MDC.put(WORKSPACE_ID, workspaceId);
        MDC.put(RUN_ID, runId);
        return new LogContext();
    }

    @Override
    public void close() {
        MDC.remove(WORKSPACE_ID);
        MDC.remove(RUN_ID);
    }
}
