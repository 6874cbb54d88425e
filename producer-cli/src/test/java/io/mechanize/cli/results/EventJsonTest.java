package io.mechanize.cli.results;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.ResourceUsage;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.StateChanges;
import io.mechanize.schemas.avro.ViolationType;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventJsonTest {

    @Test
    void writesTheTypeTheEnvelopeAndTheBodyFieldsInSnakeCaseWithoutUnionWrappers() throws Exception {
        ActionResult result = ActionResult.newBuilder()
                .setActionId("a1").setActionIndex(1).setActionType(ActionType.TERMINAL_COMMAND)
                .setSuccess(false).setExecutionTimeMs(1000).setExitCode(137).setOutput("partial")
                .setErrorMessage("timed out after 1 s")
                .setResourceUsage(ResourceUsage.newBuilder().setCpuTimeMs(7).build())
                .setSecurityViolations(List.of(new SecurityViolation(ViolationType.TIMEOUT, "killed after 1 s")))
                .setStateChanges(StateChanges.newBuilder().setCreated(List.of("out.txt")).build())
                .build();
        SimulationEvent event = SimulationEvent.newBuilder().setWorkspaceId("ws-1").setRunId("run-1")
                .setCommandSeq(2).setWorkerId("w-1").setEmittedAt(Instant.parse("2026-11-26T10:00:00Z"))
                .setBody(result).build();

        JsonNode json = new ObjectMapper().readTree(EventJson.toJsonLine(event));

        assertThat(json.get("type").asText()).isEqualTo("ActionResult");
        assertThat(json.get("workspace_id").asText()).isEqualTo("ws-1");
        assertThat(json.get("run_id").asText()).isEqualTo("run-1");
        assertThat(json.get("command_seq").asLong()).isEqualTo(2);
        assertThat(json.get("emitted_at").asText()).isEqualTo("2026-11-26T10:00:00Z");
        assertThat(json.get("success").asBoolean()).isFalse();
        assertThat(json.get("exit_code").asInt()).as("no {\"int\": ...} wrapper").isEqualTo(137);
        assertThat(json.get("action_type").asText()).isEqualTo("TERMINAL_COMMAND");
        assertThat(json.get("execution_time_ms").asLong()).isEqualTo(1000);
        assertThat(json.get("resource_usage").get("cpu_time_ms").asLong()).isEqualTo(7);
        assertThat(json.get("security_violations").get(0).get("type").asText()).isEqualTo("TIMEOUT");
        assertThat(json.get("state_changes").get("created").get(0).asText()).isEqualTo("out.txt");
        assertThat(json.get("test_summary").isNull()).isTrue();
    }
}
