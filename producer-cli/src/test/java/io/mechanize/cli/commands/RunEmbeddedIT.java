package io.mechanize.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.cli.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code mechanize run --embedded} on a small spec: broker, registry and worker in this JVM. */
@Tag("integration")
@Timeout(240)
class RunEmbeddedIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void runsASpecEndToEndAndWritesEveryResultAsAJsonLine(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("spec.jsonl");
        Files.writeString(spec, """
                {"task": {"task_id": "hello", "snapshot": {"inline": {"greet.py": "print('hi')\\n"}}, "evaluation_criteria": [{"type": "command", "command": "test -f out.txt"}]}, "batches": [[{"type": "TERMINAL_COMMAND", "command": "python3 greet.py > out.txt", "timeout": 30}, {"type": "FILE_EDIT", "file_path": "out.txt", "operation": "read"}]], "repeat": 2}
                {"task": {"task_id": "fails", "evaluation_criteria": [{"type": "command", "command": "false"}]}, "batches": [[{"type": "TERMINAL_COMMAND", "command": "exit 4"}]]}
                """);
        Path results = dir.resolve("results.jsonl");

        int code = new CommandLine(new Main()).execute("run", spec.toString(), "--embedded", "--results-out",
                results.toString(), "--timeout", "3m");

        assertThat(code).as("all finished; a failed action is data").isZero();
        List<JsonNode> events = Files.readAllLines(results).stream().map(RunEmbeddedIT::parse).toList();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.get("run_id").asText()).startsWith("run-");
            assertThat(e.has("workspace_id")).isTrue();
            assertThat(e.has("command_seq")).isTrue();
        });
        assertThat(events.stream().map(e -> e.get("workspace_id").asText()).distinct()).hasSize(3);
        assertThat(count(events, "WorkspaceCreated")).isEqualTo(3);
        assertThat(count(events, "WorkspaceClosed")).isEqualTo(3);
        assertThat(count(events, "EvaluationMetrics")).isEqualTo(3);
        assertThat(events.stream().filter(e -> type(e, "ActionResult") && e.get("action_type").asText().equals("FILE_EDIT")))
                .hasSize(2).allSatisfy(e -> assertThat(e.get("output").asText()).isEqualTo("hi\n"));
        assertThat(events.stream().filter(e -> type(e, "ActionResult") && e.get("exit_code").asInt(-1) == 4)).hasSize(1)
                .allSatisfy(e -> assertThat(e.get("success").asBoolean()).isFalse());
        assertThat(events.stream().filter(e -> type(e, "EvaluationMetrics")).map(e -> e.get("passed").asBoolean()))
                .containsExactlyInAnyOrder(true, true, false);
    }

    @Test
    void anInvalidSpecIsRefusedBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("bad.jsonl");
        Files.writeString(spec, "{\"task\": {\"task_id\": \"t\"}}\n{\"task\": {\"task_id\": \"t\"}, \"batches\": 3}\n");
        var err = new java.io.ByteArrayOutputStream();
        var previous = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        int code;
        try {
            code = new CommandLine(new Main()).execute("run", spec.toString(), "--embedded");
        } finally {
            System.setErr(previous);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("line 2, batches: must be a list of batches");
    }

    private static long count(List<JsonNode> events, String type) {
        return events.stream().filter(e -> type(e, type)).count();
    }

    private static boolean type(JsonNode e, String type) {
        return e.get("type").asText().equals(type);
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not a JSON line: " + line, e);
        }
    }
}
