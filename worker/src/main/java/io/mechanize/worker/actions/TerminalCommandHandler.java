package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.sandbox.CappedOutput;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.sandbox.ShellRequest;
import io.mechanize.worker.sandbox.ShellResult;
import io.mechanize.worker.sandbox.UsageReport;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * TERMINAL_COMMAND: the command runs in a persistent shell session of the workspace (named by
 * {@code session}, default {@value #DEFAULT_SESSION}), so {@code cd} and {@code export} carry
 * over to the next command. {@code working_dir} applies to this command only and must stay
 * inside /workspace. A timeout kills the command's process group, keeps the output so far and
 * leaves the session usable. The session measures the command itself (cgroup usage and changed
 * files) in the same round trip, so an action costs one message each way.
 */
final class TerminalCommandHandler {
    static final String DEFAULT_SESSION = SandboxContainer.DEFAULT_SESSION;
    private static final Pattern SESSION_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final SandboxContainer container;
    private final ResourceLimits limits;

    TerminalCommandHandler(SandboxContainer container, ResourceLimits limits) {
        this.container = requireNonNull(container, "container is null");
        this.limits = requireNonNull(limits, "limits is null");
    }

    Outcome run(TerminalCommandAction action, ActionResult.Builder result) throws WorkspaceException {
        int timeoutSeconds = action.getTimeout() != null ? action.getTimeout() : limits.getDefaultTimeout();
        if (timeoutSeconds <= 0) {
            return Outcome.refused(result.setErrorMessage("timeout must be > 0 seconds, was " + timeoutSeconds));
        }
        String badEnv = invalidEnvName(action.getEnv());
        if (badEnv != null) {
            return Outcome.refused(result.setErrorMessage("env name '" + badEnv + "' is not a valid variable name"));
        }
        String session = action.getSession() == null ? DEFAULT_SESSION : action.getSession();
        if (!SESSION_NAME.matcher(session).matches()) {
            return Outcome.refused(result.setErrorMessage(
                    "session name '" + session + "' is invalid: use 1 to 64 of A-Z a-z 0-9 _ . -"));
        }
        ShellRequest request;
        try {
            request = new ShellRequest(action.getCommand(), action.getWorkingDir(), action.getEnv(),
                    Duration.ofSeconds(timeoutSeconds), limits.getMaxOutputBytes()).withMeasurement();
        } catch (IllegalArgumentException e) {
            return Outcome.refused(result.setErrorMessage(e.getMessage()));
        }
        ShellResult shell = container.shell(session, request);
        ExecResult exec = shell.exec();
        String why = exec.stderr().text().strip();
        ActionResult.Builder done = switch (shell.status()) {
            case PATH_ESCAPE -> ActionResults.refuse(result, ViolationType.PATH_ESCAPE, "refused working_dir: " + why);
            case NO_WORKING_DIR -> result.setStderr(exec.stderr().text()).setErrorMessage(why);
            case RAN, SESSION_DIED -> ran(shell, timeoutSeconds, result);
        };
        return new Outcome(done, shell.usage());
    }

    private ActionResult.Builder ran(ShellResult shell, int timeoutSeconds, ActionResult.Builder result) {
        ExecResult exec = shell.exec();
        result.setOutput(exec.stdout().text())
                .setStderr(exec.stderr().text())
                .setOutputTruncated(exec.outputTruncated())
                .setSuccess(shell.status() == ShellResult.Status.RAN && exec.succeeded());
        if (exec.timedOut()) {
            ActionResults.refuse(result, ViolationType.TIMEOUT,
                    "command ran longer than its timeout of " + timeoutSeconds + "s; its process group was killed");
        } else if (shell.status() == ShellResult.Status.RAN) {
            result.setExitCode(exec.exitCode());
            if (exec.exitCode() != 0) {
                result.setErrorMessage("command exited with code " + exec.exitCode());
            }
        }
        if (shell.sessionNote() != null) {
            String before = result.getErrorMessage();
            result.setErrorMessage(before == null ? shell.sessionNote() : before + "; " + shell.sessionNote());
        }
        reportOverflow(result, "stdout", exec.stdout());
        reportOverflow(result, "stderr", exec.stderr());
        return result;
    }

    private void reportOverflow(ActionResult.Builder result, String stream, CappedOutput output) {
        if (output.truncated()) {
            ActionResults.violation(result, ViolationType.OUTPUT_LIMIT, stream + " was " + output.totalBytes()
                    + " bytes, over the limit of " + limits.getMaxOutputBytes() + "; head and tail kept");
        }
    }

    static String invalidEnvName(Map<String, String> env) {
        for (String name : env.keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                return name;
            }
        }
        return null;
    }
}
