package io.mechanize.worker.publish;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceState;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.worker.command.CommandOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Serializes a command's outcome into the records to publish, keyed by workspace id. Runs on the
 * workspace's lane (a virtual thread), so the polling thread never pays for serialization.
 */
public final class RecordFactory {
    private final AvroSerializer<SimulationEvent> events;
    private final AvroSerializer<WorkspaceState> states;

    public RecordFactory(AvroSerializer<SimulationEvent> events, AvroSerializer<WorkspaceState> states) {
        this.events = events;
        this.states = states;
    }

    public List<ProducerRecord<byte[], byte[]>> records(String workspaceId, CommandOutcome outcome) {
        byte[] key = workspaceId.getBytes(StandardCharsets.UTF_8);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(outcome.events().size() + 1);
        for (SimulationEvent event : outcome.events()) {
            out.add(new ProducerRecord<>(Topics.RESULTS, key, events.serialize(Topics.RESULTS, event)));
        }
        outcome.newState().ifPresent(state ->
                out.add(new ProducerRecord<>(Topics.WORKSPACES, key, states.serialize(Topics.WORKSPACES, state))));
        return out;
    }

    public ProducerRecord<byte[], byte[]> event(String workspaceId, SimulationEvent event) {
        return new ProducerRecord<>(Topics.RESULTS, workspaceId.getBytes(StandardCharsets.UTF_8),
                events.serialize(Topics.RESULTS, event));
    }
}
