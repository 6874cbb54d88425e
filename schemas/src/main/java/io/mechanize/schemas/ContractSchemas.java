package io.mechanize.schemas;

import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.avro.WorkspaceState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * The four value schemas of the contract, so that producers and workers can register them eagerly
 * at start (a registry that is down or refuses a schema then fails the start, not the first send).
 */
public final class ContractSchemas {

    private ContractSchemas() {
    }

    public static Schema simulationCommand() {
        return SimulationCommand.getClassSchema();
    }

    public static Schema simulationEvent() {
        return SimulationEvent.getClassSchema();
    }

    public static Schema workerMetrics() {
        return WorkerMetrics.getClassSchema();
    }

    public static Schema workspaceState() {
        return WorkspaceState.getClassSchema();
    }

    /** Each Avro topic with the schema of its values, in a stable order; the DLQ holds raw bytes and is absent. */
    public static Map<String, Schema> byTopic() {
        Map<String, Schema> schemas = new LinkedHashMap<>();
        schemas.put(Topics.COMMANDS, simulationCommand());
        schemas.put(Topics.RESULTS, simulationEvent());
        schemas.put(Topics.METRICS, workerMetrics());
        schemas.put(Topics.WORKSPACES, workspaceState());
        return Collections.unmodifiableMap(schemas);
    }
}
