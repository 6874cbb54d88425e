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
 * @param movedAway the command was not run because its partition is going to another worker:
 *     nothing is published and its offset is not committed, so the next owner runs it
 */
public record CommandOutcome(List<SimulationEvent> events, Optional<WorkspaceState> newState, boolean movedAway) {
    public CommandOutcome {
        events = List.copyOf(requireNonNull(events, "events is null"));
        requireNonNull(newState, "newState is null");
    }

    public CommandOutcome(List<SimulationEvent> events, Optional<WorkspaceState> newState) {
        this(events, newState, false);
    }

    /** Not run here: the command's partition was handed over while it waited or was being set up. */
    public static CommandOutcome leftToNextOwner() {
        return new CommandOutcome(List.of(), Optional.empty(), true);
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
