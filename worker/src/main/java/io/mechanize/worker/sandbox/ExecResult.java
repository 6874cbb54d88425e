package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The outcome of one command run inside a sandbox container.
 *
 * @param exitCode the command's exit code; -1 when it was killed for its timeout before it
 *     reported one
 * @param stdout standard output, capped
 * @param stderr standard error, capped separately
 * @param timedOut whether the timeout fired and the command's process group was killed
 * @param duration wall time from start to the end of its output
 */
public record ExecResult(int exitCode, CappedOutput stdout, CappedOutput stderr, boolean timedOut, Duration duration) {
    public ExecResult {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        requireNonNull(duration, "duration is null");
    }

    public boolean succeeded() {
        return !timedOut && exitCode == 0;
    }

    public boolean outputTruncated() {
        return stdout.truncated() || stderr.truncated();
    }
}
