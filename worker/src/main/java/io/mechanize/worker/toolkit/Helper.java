package io.mechanize.worker.toolkit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The in-container helper ({@code helper.py}, sent as {@code python3 -c}): one exec per
 * operation, the request as JSON on stdin, the reply as JSON on stdout. The helper resolves
 * every path inside the container and refuses what leaves {@code /workspace}.
 */
public final class Helper {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = load();

    private final SandboxContainer container;

    public Helper(SandboxContainer container) {
        this.container = requireNonNull(container, "container is null");
    }

    /**
     * Runs one request.
     *
     * @param maxReplyBytes the largest reply that is expected; a longer one is an error
     * @throws WorkspaceException only when the container itself is gone
     */
    public HelperReply call(Map<String, ?> request, Duration timeout, int maxReplyBytes) throws WorkspaceException {
        return call(request, Map.of(), timeout, maxReplyBytes);
    }

    public HelperReply call(Map<String, ?> request, Map<String, String> env, Duration timeout, int maxReplyBytes)
            throws WorkspaceException {
        byte[] stdin;
        try {
            stdin = JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new UncheckedIOException("a helper request could not be written as JSON", e);
        }
        ExecResult exec = container.exec(List.of("python3", "-c", SOURCE), env, stdin, timeout, maxReplyBytes);
        return interpret(exec, timeout);
    }

    static HelperReply interpret(ExecResult exec, Duration timeout) {
        if (exec.timedOut()) {
            return HelperReply.failed("the operation took longer than " + timeout.toSeconds() + "s and was stopped", true);
        }
        if (exec.exitCode() != 0 || exec.stdout().truncated()) {
            String why = exec.stdout().truncated() ? "its reply was larger than expected"
                    : "it exited with code " + exec.exitCode() + ": " + exec.stderr().tail(1000).strip();
            return HelperReply.failed("the in-container helper failed: " + why, false);
        }
        try {
            JsonNode body = JSON.readTree(exec.stdout().text());
            return HelperReply.of(body);
        } catch (IOException e) {
            return HelperReply.failed("the in-container helper replied with something that is not JSON: "
                    + exec.stdout().tail(200), false);
        }
    }

    private static String load() {
        try (InputStream in = Helper.class.getResourceAsStream("helper.py")) {
            if (in == null) {
                throw new IllegalStateException("helper.py is missing from the worker's classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading helper.py failed", e);
        }
    }
}
