package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExecCommandsTest {

    @Test
    void runsTheCommandInItsOwnSessionAndWaitsForIt() {
        assertThat(ExecCommands.wrap(List.of("bash", "-c", "echo $HOME; rm -rf '/'"), -1))
                .containsExactly("setsid", "--wait", "bash", "-c", "echo $HOME; rm -rf '/'");
    }

    @Test
    void framesStdinWithItsLength() {
        assertThat(ExecCommands.wrap(List.of("tar", "-x"), 1536))
                .containsExactly("setsid", "--wait", "sh", "-c", "head -c \"$0\" | \"$@\"", "1536", "tar", "-x");
    }

    @Test
    void theKillScriptTakesTheMarkerAsAParameter() {
        List<String> kill = ExecCommands.kill("'; reboot #");
        assertThat(kill).containsExactly("sh", "-c", ExecCommands.KILL_SCRIPT, "'; reboot #");
        assertThat(ExecCommands.KILL_SCRIPT).contains("marker=\"MECHANIZE_EXEC_ID=$0\"").doesNotContain("reboot");
    }

    @Test
    void refusesAnEmptyCommand() {
        assertThatThrownBy(() -> ExecCommands.wrap(List.of(), -1)).hasMessageContaining("argv is empty");
    }
}
