package io.mechanize.worker.sandbox;

import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One running sandbox container, as the rest of the worker sees it: no Docker types. Commands
 * run as uid 1000 with {@code /workspace} as working directory unless told otherwise.
 */
public interface SandboxContainer extends AutoCloseable {

    /** The session a terminal command uses when it names none; pooled containers start it ahead. */
    String DEFAULT_SESSION = "default";

    /** The engine's container id. */
    String id();

    /**
     * Runs {@code argv} in the container, in its own process group. On timeout the whole group
     * is killed (the container survives) and the output so far is returned with
     * {@link ExecResult#timedOut()} set.
     *
     * @param stdin bytes for the command's standard input, or null for none
     * @param maxOutputBytes cap for each of stdout and stderr (head and tail are kept)
     * @throws WorkspaceException when the container itself is gone or the engine fails; the
     *     message says why (for example "OOMKilled" or "exited with code 137")
     */
    ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout, int maxOutputBytes)
            throws WorkspaceException;

    default ExecResult exec(List<String> argv, byte[] stdin, Duration timeout, int maxOutputBytes)
            throws WorkspaceException {
        return exec(argv, Map.of(), stdin, timeout, maxOutputBytes);
    }

    /**
     * Runs a command in the named persistent shell session, started on first use. A session
     * that had ended, or dies during the command, is started again (its working directory and
     * exported variables survive) and the result's {@link ShellResult#sessionNote()} says so.
     *
     * @throws WorkspaceException when the container itself is gone
     */
    default ShellResult shell(String session, ShellRequest request) throws WorkspaceException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no shell sessions");
    }

    /**
     * Whether an empty snapshot is in place already, so that a workspace with one needs no
     * command to be ready: nothing has run in the container yet, it was started with the session
     * supervisor (which made the empty pristine copy of the snapshot), and its default session is
     * alive. False when unsure: then the placement runs its command, which also shows that the
     * container still answers.
     */
    default boolean readyForEmptySnapshot() {
        return false;
    }

    /** Whether the container came started and warm from a {@link WarmPool} rather than for this workspace. */
    default boolean fromPool() {
        return false;
    }

    /** Removes the container (force). Idempotent. */
    @Override
    void close();
}
