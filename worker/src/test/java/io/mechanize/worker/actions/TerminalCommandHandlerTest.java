package io.mechanize.worker.actions;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.sandbox.CappedOutput;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.sandbox.ShellRequest;
import io.mechanize.worker.sandbox.ShellResult;
import io.mechanize.worker.sandbox.UsageReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TerminalCommandHandlerTest {
    private final List<Duration> timeouts = new ArrayList<>();
    private final List<String> sessions = new ArrayList<>();
    private ShellResult cannedShell;

    @Test
    void commandsGoToTheDefaultSessionUnlessOneIsNamed() throws Exception {
        ExecResult ok = new ExecResult(0, CappedOutput.empty(), CappedOutput.empty(), false, Duration.ZERO);
        run(ok, TerminalCommandAction.newBuilder().setCommand("true").build());
        run(ok, TerminalCommandAction.newBuilder().setCommand("true").setSession("build").build());
        assertThat(sessions).containsExactly("default", "build");
        ActionResult bad = run(ok, TerminalCommandAction.newBuilder().setCommand("true").setSession("../x").build());
        assertThat(bad.getErrorMessage()).startsWith("session name '../x' is invalid");
        assertThat(sessions).hasSize(2);
    }

    @Test
    void anEscapingWorkingDirIsAPathEscapeAndARestartedSessionIsSaid() throws Exception {
        cannedShell = new ShellResult(new ExecResult(97, CappedOutput.empty(),
                new CappedOutput("working_dir '..' resolves to '/', outside /workspace\n", 50, false), false, Duration.ZERO),
                ShellResult.Status.PATH_ESCAPE, null);
        ActionResult escape = run(null, TerminalCommandAction.newBuilder().setCommand("pwd").setWorkingDir("..").build());
        assertThat(escape.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.PATH_ESCAPE);
        assertThat(escape.getErrorMessage()).isEqualTo("refused working_dir: working_dir '..' resolves to '/', outside /workspace");
        cannedShell = new ShellResult(new ExecResult(0, new CappedOutput("hi\n", 3, false), CappedOutput.empty(), false,
                Duration.ZERO), ShellResult.Status.RAN, "the shell session 'default' had ended");
        ActionResult restarted = run(null, TerminalCommandAction.newBuilder().setCommand("echo hi").build());
        assertThat(restarted.getSuccess()).isTrue();
        assertThat(restarted.getErrorMessage()).isEqualTo("the shell session 'default' had ended");
    }

    @Test
    void aTimeoutIsAViolationAndKeepsTheOutputSoFar() throws Exception {
        ActionResult result = run(new ExecResult(-1, new CappedOutput("partial", 7, false), CappedOutput.empty(), true,
                Duration.ofSeconds(2)), TerminalCommandAction.newBuilder().setCommand("sleep 30").setTimeout(2).build());
        assertThat(timeouts).containsExactly(Duration.ofSeconds(2));
        assertThat(result.getSuccess()).isFalse();
        assertThat(result.getOutput()).isEqualTo("partial");
        assertThat(result.getExitCode()).isNull();
        assertThat(result.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.TIMEOUT);
    }

    @Test
    void theDefaultTimeoutComesFromTheLimits() throws Exception {
        run(new ExecResult(0, CappedOutput.empty(), CappedOutput.empty(), false, Duration.ZERO),
                TerminalCommandAction.newBuilder().setCommand("true").build());
        assertThat(timeouts).containsExactly(Duration.ofSeconds(120));
    }

    @Test
    void eachOverflowingStreamIsAnOutputLimitViolation() throws Exception {
        ActionResult result = run(new ExecResult(0, new CappedOutput("h...t", 99999, true), new CappedOutput("e", 1, false),
                false, Duration.ZERO), TerminalCommandAction.newBuilder().setCommand("yes").build());
        assertThat(result.getSuccess()).isTrue();
        assertThat(result.getOutputTruncated()).isTrue();
        assertThat(result.getSecurityViolations()).singleElement().satisfies(v -> {
            assertThat(v.getType()).isEqualTo(ViolationType.OUTPUT_LIMIT);
            assertThat(v.getDetail()).isEqualTo("stdout was 99999 bytes, over the limit of 65536; head and tail kept");
        });
    }

    @Test
    void refusesABadEnvName() throws Exception {
        ActionResult result = run(null, TerminalCommandAction.newBuilder().setCommand("env").setEnv(Map.of("A=B", "x")).build());
        assertThat(result.getErrorMessage()).isEqualTo("env name 'A=B' is not a valid variable name");
        assertThat(timeouts).isEmpty();
    }

    private ActionResult run(ExecResult canned, TerminalCommandAction action) throws Exception {
        SandboxContainer fake = new SandboxContainer() {
            @Override
            public String id() {
                return "fake";
            }

            @Override
            public ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout, int max) {
                throw new AssertionError("terminal commands run in the shell session, not in an exec of their own");
            }

            @Override
            public ShellResult shell(String session, ShellRequest request) {
                sessions.add(session);
                timeouts.add(request.timeout());
                assertThat(request.measured()).as("the session measures the agent's command").isTrue();
                return cannedShell != null ? cannedShell : new ShellResult(canned, ShellResult.Status.RAN, null);
            }

            @Override
            public void close() {}
        };
        return new TerminalCommandHandler(fake, ResourceLimits.newBuilder().build())
                .run(action, ActionResults.draft("a1", 0, ActionType.TERMINAL_COMMAND)).result().build();
    }
}
