package io.mechanize.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CloseWorkspace;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.SimulationCommand;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunPlanTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-26T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void eachCopyIsItsOwnWorkspaceWithCommandsInSeqOrder() throws Exception {
        SimulationSpec spec = SpecParser.parseLine(1, "{\"task\": {\"task_id\": \"fix fib\", \"evaluation_criteria\": "
                + "[{\"type\": \"command\", \"command\": \"true\"}]}, \"batches\": [[{\"type\": \"TERMINAL_COMMAND\", "
                + "\"command\": \"ls\"}]], \"repeat\": 2}");

        RunPlan plan = RunPlan.of("run-x", List.of(spec), clock);

        assertThat(plan.workspaces()).hasSize(2);
        assertThat(plan.workspaces()).extracting(RunPlan.PlannedWorkspace::workspaceId)
                .containsExactly("run-x-00000-fix_fib", "run-x-00001-fix_fib");
        List<SimulationCommand> commands = plan.workspaces().get(0).commands();
        assertThat(commands).extracting(SimulationCommand::getSeq).containsExactly(0L, 1L, 2L, 3L);
        assertThat(commands).extracting(c -> c.getBody().getClass().getSimpleName()).containsExactly(
                CreateWorkspace.class.getSimpleName(), ActionBatch.class.getSimpleName(),
                EvaluateWorkspace.class.getSimpleName(), CloseWorkspace.class.getSimpleName());
        assertThat(commands).allMatch(c -> c.getRunId().equals("run-x")
                && c.getWorkspaceId().equals("run-x-00000-fix_fib"));
        assertThat(plan.commandCount()).isEqualTo(8);
    }

    @Test
    void runIdsAreTimestampedAndDistinct() {
        String a = RunPlan.newRunId(clock);
        String b = RunPlan.newRunId(clock);
        assertThat(a).startsWith("run-20261126-100000-").isNotEqualTo(b);
    }
}
