package io.mechanize.cli.client;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.avro.WorkspaceRecovered;
import java.util.List;
import java.util.Optional;

/**
 * What a command answered, one record per kind of command. {@code events} holds every event the
 * command yielded, in order, including a {@code WorkspaceRecovered} when the workspace was rebuilt
 * on another worker before the command ran. A rejected command or a failed workspace is not a
 * reply: its future completes exceptionally with a {@link CommandFailedException}.
 */
public sealed interface CommandReply {
    String workspaceId();

    long seq();

    List<SimulationEvent> events();

    /** The workspace was moved to another worker and rebuilt before this command ran. */
    default Optional<WorkspaceRecovered> recovered() {
        return events().stream().map(SimulationEvent::getBody).filter(WorkspaceRecovered.class::isInstance)
                .map(WorkspaceRecovered.class::cast).findFirst();
    }

    record Created(String workspaceId, long seq, WorkspaceCreated created, List<SimulationEvent> events)
            implements CommandReply {
        public Created {
            requireNonNull(created, "created is null");
            events = List.copyOf(events);
        }
    }

    /**
     * A batch's results in action order; fewer than its actions when it stopped on a failure. A
     * failed action is data, not an error.
     */
    record Executed(String workspaceId, long seq, List<ActionResult> results, List<SimulationEvent> events)
            implements CommandReply {
        public Executed {
            results = List.copyOf(results);
            events = List.copyOf(events);
        }

        public boolean allSucceeded() {
            return results.stream().allMatch(ActionResult::getSuccess);
        }

        public ActionResult last() {
            return results.getLast();
        }
    }

    record Evaluated(String workspaceId, long seq, EvaluationMetrics metrics, List<SimulationEvent> events)
            implements CommandReply {
        public Evaluated {
            requireNonNull(metrics, "metrics is null");
            events = List.copyOf(events);
        }

        public boolean passed() {
            return metrics.getPassed();
        }
    }

    record Closed(String workspaceId, long seq, WorkspaceClosed closed, List<SimulationEvent> events)
            implements CommandReply {
        public Closed {
            requireNonNull(closed, "closed is null");
            events = List.copyOf(events);
        }
    }
}
