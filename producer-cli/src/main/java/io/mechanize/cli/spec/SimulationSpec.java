package io.mechanize.cli.spec;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CreateWorkspace;
import java.util.List;

/**
 * One line of a spec file: how to create the workspace, the batches to run in it, whether to
 * evaluate it, and how many independent copies to run.
 *
 * @param line the line number in the spec file (1-based), for messages
 */
public record SimulationSpec(int line, CreateWorkspace create, List<ActionBatch> batches, boolean evaluate, int repeat) {
    public SimulationSpec {
        requireNonNull(create, "create is null");
        batches = List.copyOf(requireNonNull(batches, "batches is null"));
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat must be at least 1, got " + repeat);
        }
    }

    public String taskId() {
        return create.getTask().getTaskId();
    }

    /** Commands per workspace: create, the batches, evaluate when asked, close. */
    public int commandCount() {
        return 2 + batches.size() + (evaluate ? 1 : 0);
    }
}
