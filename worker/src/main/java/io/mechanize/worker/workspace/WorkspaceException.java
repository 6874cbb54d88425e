package io.mechanize.worker.workspace;

/** A workspace could not be created, or died: the message is the reason a user reads. */
public class WorkspaceException extends Exception {
    private final String stage;

    public WorkspaceException(String stage, String message, Throwable cause) {
        super(message, cause);
        this.stage = stage;
    }

    public WorkspaceException(String stage, String message) {
        this(stage, message, null);
    }

    /** Where it happened: create, snapshot, action, evaluate, recover. */
    public String stage() {
        return stage;
    }
}
