package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.sandbox.CappedOutput;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * TERMINAL_COMMAND: {@code bash -c command} in its working directory (inside /workspace), one
 * exec per action for now (a persistent session comes later). A timeout kills the command's
 * process group and keeps the output so far.
 */
final class TerminalCommandHandler {
    private static final Duration DIR_CHECK_TIMEOUT = Duration.ofSeconds(10);
    /** cd into the checked directory ($0), then run the agent's command ($1) as bash's script. */
    private static final String IN_DIR = "cd -- \"$0\" || exit 1\nexec bash -c \"$1\"";

    private final SandboxContainer container;
    private final ResourceLimits limits;

    TerminalCommandHandler(SandboxContainer container, ResourceLimits limits) {
        this.container = requireNonNull(container, "container is null");
        this.limits = requireNonNull(limits, "limits is null");
    }

    ActionResult.Builder run(TerminalCommandAction action, ActionResult.Builder result) throws WorkspaceException {
        int timeoutSeconds = action.getTimeout() != null ? action.getTimeout() : limits.getDefaultTimeout();
        if (timeoutSeconds <= 0) {
            return result.setErrorMessage("timeout must be > 0 seconds, was " + timeoutSeconds);
        }
        String badEnv = invalidEnvName(action.getEnv());
        if (badEnv != null) {
            return result.setErrorMessage("env name '" + badEnv + "' is not a valid variable name");
        }
        List<String> argv = List.of("bash", "-c", action.getCommand());
        if (action.getWorkingDir() != null) {
            ExecResult dir = container.exec(WorkspacePaths.directory(action.getWorkingDir()), null, DIR_CHECK_TIMEOUT, 4096);
            String why = dir.stderr().text().strip();
            if (dir.exitCode() == WorkspacePaths.ESCAPE_EXIT) {
                return ActionResults.refuse(result, ViolationType.PATH_ESCAPE, "refused working_dir: " + why);
            }
            if (!dir.succeeded()) {
                return result.setErrorMessage(why.isEmpty() ? "working_dir " + action.getWorkingDir() + " is not usable" : why);
            }
            argv = List.of("bash", "-c", IN_DIR, dir.stdout().text(), action.getCommand());
        }
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        ExecResult exec = container.exec(argv, action.getEnv(), null, timeout, limits.getMaxOutputBytes());
        result.setOutput(exec.stdout().text())
                .setStderr(exec.stderr().text())
                .setOutputTruncated(exec.outputTruncated())
                .setSuccess(exec.succeeded());
        if (exec.timedOut()) {
            String why = "command ran longer than its timeout of " + timeoutSeconds + "s; its process group was killed";
            ActionResults.refuse(result, ViolationType.TIMEOUT, why);
        } else {
            result.setExitCode(exec.exitCode());
            if (exec.exitCode() != 0) {
                result.setErrorMessage("command exited with code " + exec.exitCode());
            }
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
