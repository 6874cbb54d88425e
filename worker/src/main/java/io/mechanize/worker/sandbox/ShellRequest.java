package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;

/**
 * One command for a persistent shell session.
 *
 * @param command shell text, run by bash as if typed at the session's prompt
 * @param workingDir where to run this command (relative to /workspace, or absolute inside it);
 *     null: the session's current directory
 * @param env variables for this command only
 * @param timeout after it, the command's process group is killed
 * @param maxOutputBytes cap for each of stdout and stderr (head and tail kept)
 * @param measured whether the session measures the command as one action (cgroup usage and the
 *     files it changed, in {@link ShellResult#usage()}) in the same round trip
 * @param raw whether the command starts from the session's first state (its working directory
 *     and variables as the container started) and saves nothing back: the worker's own commands
 * @param stdin bytes for the command's standard input, or null for none
 * @param helper whether this is a request for the session's resident helper ({@code helper.py})
 *     rather than a command: {@code stdin} is the helper's source followed by the request, and
 *     {@code command} is the source's length in bytes (the session sends the source to its driver
 *     only once, see {@link #withoutHelperSource})
 */
public record ShellRequest(String command, String workingDir, Map<String, String> env, Duration timeout, int maxOutputBytes,
        boolean measured, boolean raw, byte[] stdin, boolean helper) {
    public ShellRequest {
        requireNonNull(command, "command is null");
        env = Map.copyOf(requireNonNull(env, "env is null"));
        requireNonNull(timeout, "timeout is null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        if (maxOutputBytes < 0) {
            throw new IllegalArgumentException("maxOutputBytes must be >= 0, was " + maxOutputBytes);
        }
        if (command.indexOf('\0') >= 0 || (workingDir != null && workingDir.indexOf('\0') >= 0)
                || env.values().stream().anyMatch(v -> v.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("command, working_dir and env values must not contain NUL bytes");
        }
        if (helper && (stdin == null || !raw || workingDir != null || !env.isEmpty() || !command.matches("[0-9]+")
                || Integer.parseInt(command) > stdin.length)) {
            throw new IllegalArgumentException("a helper request is raw, has no working_dir or env, and its input starts"
                    + " with the helper's source, whose length is its command");
        }
    }

    /** An agent's command: unmeasured, from the session's state, no input. */
    public ShellRequest(String command, String workingDir, Map<String, String> env, Duration timeout, int maxOutputBytes) {
        this(command, workingDir, env, timeout, maxOutputBytes, false, false, null, false);
    }

    /** A worker's own command (snapshot placement, evaluation): raw, from /workspace, with {@code stdin}. */
    public static ShellRequest raw(String command, byte[] stdin, Duration timeout, int maxOutputBytes) {
        return new ShellRequest(command, null, Map.of(), timeout, maxOutputBytes, false, true, stdin, false);
    }

    /**
     * A request for the session's resident helper, which the session starts on first use and keeps:
     * {@code stdin} is the helper's source ({@code sourceBytes} long) followed by the request.
     */
    public static ShellRequest helper(int sourceBytes, byte[] stdin, Duration timeout, int maxOutputBytes) {
        return new ShellRequest(Integer.toString(sourceBytes), null, Map.of(), timeout, maxOutputBytes, false, true, stdin,
                true);
    }

    /**
     * This helper request without the helper's source in front of it, for a driver that keeps the
     * source it was sent before.
     */
    ShellRequest withoutHelperSource() {
        if (!helper) {
            throw new IllegalStateException("not a helper request");
        }
        byte[] request = java.util.Arrays.copyOfRange(stdin, Integer.parseInt(command), stdin.length);
        return new ShellRequest("0", workingDir, env, timeout, maxOutputBytes, measured, raw, request, helper);
    }

    /** This request, measured as one action. */
    public ShellRequest withMeasurement() {
        return new ShellRequest(command, workingDir, env, timeout, maxOutputBytes, true, raw, stdin, helper);
    }
}
