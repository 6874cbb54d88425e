package io.mechanize.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.TerminalCommandAction;
import java.io.BufferedReader;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecParserTest {
    private static final String FIX_FIB = """
            {"task": {"task_id": "fix-fib", "description": "d",
                      "snapshot": {"inline": {"fib.py": "x = 1\\n", "test_fib.py": "def test(): pass\\n"}},
                      "evaluation_criteria": [{"type": "command", "command": "python3 -m pytest -q"}]},
             "image": "mechanize/dev-env:latest",
             "limits": {"memory_mb": 512, "cpu_cores": 1.0},
             "policy": {"allow_network": false},
             "batches": [[{"type": "FILE_EDIT", "file_path": "fib.py", "operation": "write", "content": "y = 2\\n"},
                          {"type": "TERMINAL_COMMAND", "command": "python3 fib.py", "timeout": 30}],
                         {"actions": [{"type": "TERMINAL_COMMAND", "command": "ls"}], "stop_on_failure": true}],
             "evaluate": true,
             "repeat": 3}
            """.replace("\n", " ");

    @Test
    void readsTheSpecFormatIntoCommands() throws Exception {
        SimulationSpec spec = SpecParser.parseLine(1, FIX_FIB);

        assertThat(spec.taskId()).isEqualTo("fix-fib");
        assertThat(spec.repeat()).isEqualTo(3);
        assertThat(spec.evaluate()).isTrue();
        assertThat(spec.create().getLimits().getMemoryMb()).isEqualTo(512);
        assertThat(spec.create().getLimits().getPidsLimit()).as("default kept").isEqualTo(256);
        assertThat(((InlineSnapshot) spec.create().getTask().getSnapshot()).getFiles())
                .containsEntry("fib.py", "x = 1\n").hasSize(2);
        assertThat(spec.batches()).hasSize(2);
        var write = (FileEditAction) spec.batches().get(0).getActions().get(0).getPayload();
        assertThat(write.getOperation()).isEqualTo("write");
        assertThat(write.getContent()).isEqualTo("y = 2\n");
        var run = (TerminalCommandAction) spec.batches().get(0).getActions().get(1).getPayload();
        assertThat(run.getTimeout()).isEqualTo(30);
        assertThat(spec.batches().get(0).getStopOnFailure()).isFalse();
        assertThat(spec.batches().get(1).getStopOnFailure()).isTrue();
        assertThat(spec.commandCount()).as("create, 2 batches, evaluate, close").isEqualTo(5);
    }

    @Test
    void aMinimalLineGetsEveryDefault() throws Exception {
        SimulationSpec spec = SpecParser.parseLine(1, "{\"task\": {\"task_id\": \"t\"}}");

        assertThat(spec.create().getImage()).isEqualTo("mechanize/dev-env:latest");
        assertThat(spec.create().getPolicy().getAllowNetwork()).isFalse();
        assertThat(spec.evaluate()).as("nothing to evaluate").isFalse();
        assertThat(spec.repeat()).isEqualTo(1);
        assertThat(spec.commandCount()).isEqualTo(2);
    }

    @Test
    void namesTheLineAndTheFieldAtFault() {
        String negativeTimeout = "{\"task\": {\"task_id\": \"t\"}, \"batches\": [[{\"type\": \"TERMINAL_COMMAND\", "
                + "\"command\": \"ls\"}, {\"type\": \"TERMINAL_COMMAND\", \"command\": \"ls\", \"timeout\": -5}]]}";
        String input = "{\"task\": {\"task_id\": \"ok\"}}\n\n" + negativeTimeout + "\n";

        assertThatThrownBy(() -> SpecParser.parse(new BufferedReader(new StringReader(input))))
                .isInstanceOf(SpecException.class)
                .hasMessage("line 3, batches[0][1].timeout: must be a positive integer, got -5")
                .satisfies(e -> assertThat(((SpecException) e).line()).isEqualTo(3));
    }

    @Test
    void refusesEachKindOfMistakeWithAClearMessage() {
        assertError("not json", "line 1: not valid JSON");
        assertError("{\"image\": \"x\"}", "line 1, task: is required");
        assertError("{\"task\": {\"task_id\": \"\"}}", "line 1, task.task_id: must be a non-empty string");
        assertError("{\"task\": {\"task_id\": \"t\"}, \"repeats\": 2}", "line 1, repeats: unknown field");
        assertError("{\"task\": {\"task_id\": \"t\"}, \"batches\": [[{\"type\": \"FILE_EDIT\", \"file_path\": \"a\", "
                + "\"operation\": \"explode\"}]]}", "line 1, batches[0][0].operation: unknown file operation 'explode'");
        assertError("{\"task\": {\"task_id\": \"t\"}, \"batches\": [[{\"type\": \"SHELL\"}]]}",
                "line 1, batches[0][0].type: unknown action type 'SHELL'");
        assertError("{\"task\": {\"task_id\": \"t\"}, \"batches\": [[]]}", "line 1, batches[0]: a batch must hold at least one action");
        assertError("{\"task\": {\"task_id\": \"t\"}, \"limits\": {\"memory_mb\": \"lots\"}}",
                "line 1, limits.memory_mb: must be a positive integer");
        assertError("{\"task\": {\"task_id\": \"t\", \"evaluation_criteria\": [{\"type\": \"vibes\"}]}}",
                "line 1, task.evaluation_criteria[0].type: unknown criterion type 'vibes'");
        assertError("{\"task\": {\"task_id\": \"t\"}, \"batches\": [[{\"type\": \"FILE_EDIT\", \"file_path\": \"a\", "
                + "\"operation\": \"read\", \"line_range\": [5, 2]}]]}", "line 1, batches[0][0].line_range: must satisfy");
        assertError("{\"task\": {\"task_id\": \"t\"}, \"repeat\": 0}", "line 1, repeat: must be between 1 and");
    }

    @Test
    void anEmptySpecIsAnError() {
        assertThatThrownBy(() -> SpecParser.parse(new BufferedReader(new StringReader("\n\n"))))
                .hasMessageContaining("holds no simulation");
    }

    @Test
    void theBundledDemoSuiteIsValidAndLargeEnough() throws Exception {
        List<SimulationSpec> specs = SpecParser.parse(java.nio.file.Path.of("../examples/demo.jsonl"));

        assertThat(specs.stream().map(SimulationSpec::taskId).distinct()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(specs.stream().mapToInt(SimulationSpec::repeat).sum()).isGreaterThanOrEqualTo(20);
    }

    private static void assertError(String line, String messageStart) {
        assertThatThrownBy(() -> SpecParser.parseLine(1, line))
                .isInstanceOf(SpecException.class)
                .hasMessageStartingWith(messageStart);
    }
}
