package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.TestRunAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.toolkit.TestRunner;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Duration;

/** TEST_RUN: the command's output and exit code (success = exit 0) plus a per-test summary. */
final class TestRunHandler {
    private final TestRunner runner;
    private final ResourceLimits limits;

    TestRunHandler(TestRunner runner, ResourceLimits limits) {
        this.runner = requireNonNull(runner, "runner is null");
        this.limits = requireNonNull(limits, "limits is null");
    }

    Outcome run(TestRunAction action, ActionResult.Builder result) throws WorkspaceException {
        int seconds = action.getTimeout() != null ? action.getTimeout() : limits.getDefaultTimeout();
        if (seconds <= 0) {
            return Outcome.refused(result.setErrorMessage("timeout must be > 0 seconds, was " + seconds));
        }
        TestRunner.TestRun run;
        try {
            run = runner.run(action.getCommand(), action.getFramework(), action.getReportPath(),
                    Duration.ofSeconds(seconds), limits.getMaxOutputBytes());
        } catch (IllegalArgumentException e) {
            return Outcome.refused(result.setErrorMessage(e.getMessage()));
        }
        return new Outcome(report(run, seconds, result), run.usage());
    }

    private ActionResult.Builder report(TestRunner.TestRun run, int seconds, ActionResult.Builder result) {
        ExecResult exec = run.exec();
        String stdout = exec.stdout().text();
        boolean trimmed = stdout.length() > limits.getMaxOutputBytes();
        result.setOutput(trimmed ? exec.stdout().tail(limits.getMaxOutputBytes()) : stdout)
                .setStderr(exec.stderr().text())
                .setOutputTruncated(trimmed || exec.outputTruncated())
                .setTestSummary(run.summary())
                .setSuccess(exec.succeeded());
        if (exec.timedOut()) {
            return ActionResults.refuse(result, ViolationType.TIMEOUT,
                    "tests ran longer than their timeout of " + seconds + "s; their process group was killed");
        }
        result.setExitCode(exec.exitCode());
        if (exec.exitCode() != 0) {
            result.setErrorMessage("test command exited with code " + exec.exitCode());
        }
        return result;
    }
}
