package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

/**
 * What a shell session made of one request.
 *
 * @param exec exit code (-1 when there was none), stdout and stderr apart, whether it timed out
 * @param status whether the command ran, or why not
 * @param sessionNote null, or what happened to the session itself (it had ended or died and a
 *     new one was started): worth telling the agent
 * @param usage the command's measurement when the request asked for one (else unmeasured)
 */
public record ShellResult(ExecResult exec, Status status, String sessionNote, UsageReport usage) {
    public enum Status {
        /** The command ran (it may have failed or timed out: see {@link #exec}). */
        RAN,
        /** working_dir resolves outside /workspace; nothing ran. */
        PATH_ESCAPE,
        /** working_dir is not a directory; nothing ran. */
        NO_WORKING_DIR,
        /** The session's shell died while the command ran; the output so far is kept. */
        SESSION_DIED
    }

    public ShellResult {
        requireNonNull(exec, "exec is null");
        requireNonNull(status, "status is null");
        requireNonNull(usage, "usage is null");
    }

    public ShellResult(ExecResult exec, Status status, String sessionNote) {
        this(exec, status, sessionNote, UsageReport.unmeasured());
    }

    ShellResult withNote(String note) {
        return note == null ? this
                : new ShellResult(exec, status, sessionNote == null ? note : note + "; " + sessionNote, usage);
    }
}
