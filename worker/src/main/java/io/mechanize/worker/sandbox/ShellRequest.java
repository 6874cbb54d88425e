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
 */
public record ShellRequest(String command, String workingDir, Map<String, String> env, Duration timeout, int maxOutputBytes) {
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
    }
}
