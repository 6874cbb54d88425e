package io.mechanize.cli.client;

import io.mechanize.schemas.avro.SimulationEvent;
import java.util.Optional;

/**
 * A command that yielded no reply: why, which workspace and seq, and the event that said so when
 * there was one ({@code CommandRejected} or {@code WorkspaceFailed}).
 */
public final class CommandFailedException extends RuntimeException {
    /** Why the command has no reply. */
    public enum Reason {
        /** The worker refused the command ({@code CommandRejected}): invalid, out of order, unknown workspace. */
        REJECTED,
        /** The workspace failed ({@code WorkspaceFailed}): no container, a lost snapshot, a broken recovery. */
        WORKSPACE_FAILED,
        /** No answer within the client's command timeout. */
        TIMED_OUT,
        /** The broker did not take the command. */
        NOT_SENT,
        /** The client was closed, or its results consumer stopped, before the answer came. */
        CLIENT_CLOSED
    }

    private final Reason reason;
    private final String workspaceId;
    private final long seq;
    private final transient SimulationEvent event;

    public CommandFailedException(Reason reason, String workspaceId, long seq, String message, SimulationEvent event,
            Throwable cause) {
        super(workspaceId + " seq " + seq + ": " + message, cause);
        this.reason = reason;
        this.workspaceId = workspaceId;
        this.seq = seq;
        this.event = event;
    }

    public Reason reason() {
        return reason;
    }

    public String workspaceId() {
        return workspaceId;
    }

    public long seq() {
        return seq;
    }

    /** The {@code CommandRejected} or {@code WorkspaceFailed} event, when the failure came from the worker. */
    public Optional<SimulationEvent> event() {
        return Optional.ofNullable(event);
    }
}
