package io.mechanize.worker.consume;

import io.mechanize.schemas.avro.RejectionStage;
import io.mechanize.schemas.avro.SimulationCommand;

/** What the polling thread made of one record: a valid command, or a rejection with its reason. */
public sealed interface DecodedRecord {

    record Valid(SimulationCommand command) implements DecodedRecord {}

    /**
     * @param workspaceId the record key when it was readable, else empty
     * @param command the decoded command when decoding worked but validation failed, else null
     */
    record Invalid(RejectionStage stage, String reason, Throwable cause, String workspaceId, SimulationCommand command)
            implements DecodedRecord {}
}
