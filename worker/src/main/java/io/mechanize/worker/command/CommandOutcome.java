package io.mechanize.worker.command;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceState;
import java.util.List;
import java.util.Optional;

/**
 * What handling one command produced: the result events to publish and the workspace's new
 * state, both written in the same Kafka transaction as the command's offset.
 *
 * @param events result events in order; empty for a redelivered command that was already applied
 * @param newState the workspace's state after the command, empty when it did not change
 */
public record CommandOutcome(List<SimulationEvent> events, Optional<WorkspaceState> newState) {
    public CommandOutcome {
        events = List.copyOf(requireNonNull(events, "events is null"));
        requireNonNull(newState, "newState is null");
    }

    /** A redelivered command that was already applied: nothing is published again. */
    public static CommandOutcome skipped() {
        return new CommandOutcome(List.of(), Optional.empty());
    }

    public static CommandOutcome of(List<SimulationEvent> events, WorkspaceState state) {
        return new CommandOutcome(events, Optional.of(state));
    }

    public static CommandOutcome eventsOnly(List<SimulationEvent> events) {
        return new CommandOutcome(events, Optional.empty());
    }
}
