package io.mechanize.worker.command;

import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.RejectionStage;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceFailed;
import java.time.Clock;

/** Builds result envelopes: every event names the workspace, run, command and worker. */
public final class Events {
    private final String workerId;
    private final Clock clock;

    public Events(String workerId, Clock clock) {
        this.workerId = workerId;
        this.clock = clock;
    }

    public SimulationEvent answer(InboundCommand in, Object body) {
        return envelope(in.workspaceId(), in.runId(), in.seq(), body);
    }

    public SimulationEvent envelope(String workspaceId, String runId, long commandSeq, Object body) {
        return SimulationEvent.newBuilder()
                .setWorkspaceId(workspaceId)
                .setRunId(runId)
                .setCommandSeq(commandSeq)
                .setWorkerId(workerId)
                .setEmittedAt(clock.instant())
                .setBody(body)
                .build();
    }

    public SimulationEvent rejected(InboundCommand in, RejectionStage stage, String reason) {
        return answer(in, CommandRejected.newBuilder()
                .setReason(reason)
                .setStage(stage)
                .setSourceTopic(in.topic())
                .setSourcePartition(in.partition())
                .setSourceOffset(in.offset())
                .setExceptionClass(null)
                .build());
    }

    public SimulationEvent failed(InboundCommand in, String stage, String reason, Throwable cause) {
        return answer(in, WorkspaceFailed.newBuilder()
                .setReason(reason)
                .setStage(stage)
                .setExceptionClass(cause == null ? null : cause.getClass().getName())
                .build());
    }

    public String workerId() {
        return workerId;
    }

    public Clock clock() {
        return clock;
    }
}
