package io.mechanize.cli.spec;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.SimulationCommand;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A run: every simulation of a spec file expanded into workspaces ({@code repeat} copies each),
 * and each workspace into its commands in seq order: create, the batches, evaluate, close.
 */
public record RunPlan(String runId, List<PlannedWorkspace> workspaces) {
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    public RunPlan {
        requireNonNull(runId, "runId is null");
        workspaces = List.copyOf(requireNonNull(workspaces, "workspaces is null"));
    }

    /** One workspace of the run with the commands that will be sent for it. */
    public record PlannedWorkspace(String workspaceId, String taskId, List<SimulationCommand> commands) {
        public PlannedWorkspace {
            commands = List.copyOf(commands);
        }
    }

    public static String newRunId(Clock clock) {
        byte[] suffix = new byte[3];
        RANDOM.nextBytes(suffix);
        return "run-" + RUN_TIME.format(clock.instant()) + "-" + HexFormat.of().formatHex(suffix);
    }

    public static RunPlan of(String runId, List<SimulationSpec> specs, Clock clock) {
        List<PlannedWorkspace> workspaces = new ArrayList<>();
        int index = 0;
        for (SimulationSpec spec : specs) {
            for (int copy = 0; copy < spec.repeat(); copy++) {
                String workspaceId = runId + "-" + String.format("%05d", index++) + "-" + safe(spec.taskId());
                workspaces.add(new PlannedWorkspace(workspaceId, spec.taskId(), commands(runId, workspaceId, spec,
                        clock)));
            }
        }
        return new RunPlan(runId, workspaces);
    }

    private static List<SimulationCommand> commands(String runId, String workspaceId, SimulationSpec spec,
            Clock clock) {
        List<Object> bodies = new ArrayList<>();
        bodies.add(spec.create());
        for (ActionBatch batch : spec.batches()) {
            bodies.add(batch);
        }
        if (spec.evaluate()) {
            bodies.add(new EvaluateWorkspace(null));
        }
        bodies.add(new CloseWorkspace("completed"));
        List<SimulationCommand> commands = new ArrayList<>(bodies.size());
        for (int seq = 0; seq < bodies.size(); seq++) {
            commands.add(SimulationCommand.newBuilder()
                    .setWorkspaceId(workspaceId)
                    .setRunId(runId)
                    .setSeq(seq)
                    .setSubmittedAt(clock.instant())
                    .setBody(bodies.get(seq))
                    .build());
        }
        return commands;
    }

    private static String safe(String taskId) {
        String clean = taskId.replaceAll("[^A-Za-z0-9_.-]", "_");
        return clean.length() > 40 ? clean.substring(0, 40) : clean;
    }

    public int commandCount() {
        return workspaces.stream().mapToInt(w -> w.commands().size()).sum();
    }
}
