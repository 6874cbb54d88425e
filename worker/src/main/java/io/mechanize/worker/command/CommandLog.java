package io.mechanize.worker.command;

import io.mechanize.schemas.avro.SimulationCommand;
import java.util.List;

/** Reads a workspace's commands back from {@code mechanize.commands}, to rebuild it elsewhere. */
public interface CommandLog {

    /**
     * The valid commands keyed by {@code workspaceId} on {@code partition} between the two
     * offsets (both inclusive), in offset order. Undecodable or invalid records are left out.
     */
    List<SimulationCommand> read(String workspaceId, int partition, long fromOffset, long toOffset);
}
