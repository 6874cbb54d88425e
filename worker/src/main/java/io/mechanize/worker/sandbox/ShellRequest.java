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
 * @param helperSource for a request to the session's resident helper ({@code helper.py}) rather
 *     than a command: the helper's source, which the session sends to its driver with the first
 *     such request only (the driver keeps it); {@code stdin} is then the request, and
 *     {@code command} is unused. Null for a command.
 */
public record ShellRequest(String command, String workingDir, Map<String, String> env, Duration timeout, int maxOutputBytes,
        boolean measured, boolean raw, byte[] stdin, byte[] helperSource) {
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
        if (helperSource != null && (stdin == null || !raw || workingDir != null || !env.isEmpty())) {
            throw new IllegalArgumentException("a helper request is raw, has no working_dir or env, and has an input");
        }
    }

    /** An agent's command: unmeasured, from the session's state, no input. */
    public ShellRequest(String command, String workingDir, Map<String, String> env, Duration timeout, int maxOutputBytes) {
        this(command, workingDir, env, timeout, maxOutputBytes, false, false, null, null);
    }

    /** A worker's own command (snapshot placement, evaluation): raw, from /workspace, with {@code stdin}. */
    public static ShellRequest raw(String command, byte[] stdin, Duration timeout, int maxOutputBytes) {
        return new ShellRequest(command, null, Map.of(), timeout, maxOutputBytes, false, true, stdin, null);
    }

    /**
     * A request for the session's resident helper, which the session starts on first use and keeps:
     * {@code request} goes to it, and {@code source} to the session's driver the first time.
     */
    public static ShellRequest helper(byte[] source, byte[] request, Duration timeout, int maxOutputBytes) {
        return new ShellRequest("", null, Map.of(), timeout, maxOutputBytes, false, true, request,
                requireNonNull(source, "source is null"));
    }

    /** Whether this is a request for the session's resident helper, not a command. */
    public boolean helper() {
        return helperSource != null;
    }

    /** This request, measured as one action. */
    public ShellRequest withMeasurement() {
        return new ShellRequest(command, workingDir, env, timeout, maxOutputBytes, true, raw, stdin, helperSource);
    }
}
