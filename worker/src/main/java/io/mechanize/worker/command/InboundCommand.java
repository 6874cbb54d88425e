package io.mechanize.worker.command;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.SimulationCommand;
import java.time.Instant;

/** A decoded, valid command with where it came from and when the worker took it. */
public record InboundCommand(SimulationCommand command, String topic, int partition, long offset, Instant consumedAt) {
    public InboundCommand {
        requireNonNull(command, "command is null");
        requireNonNull(topic, "topic is null");
        requireNonNull(consumedAt, "consumedAt is null");
    }

    public String workspaceId() {
        return command.getWorkspaceId();
    }

    public String runId() {
        return command.getRunId();
    }

    public long seq() {
        return command.getSeq();
    }

    /** The body's record name, for logs: CreateWorkspace, ActionBatch, ... */
    public String kind() {
        return command.getBody().getClass().getSimpleName();
    }
}
