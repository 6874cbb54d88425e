package io.mechanize.worker.toolkit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.sandbox.Scripts;
import io.mechanize.worker.sandbox.ShellRequest;
import io.mechanize.worker.sandbox.ShellResult;
import io.mechanize.worker.sandbox.UsageReport;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The in-container helper ({@code helper.py}, run as {@code python3 -I -S -c}): the request as
 * JSON on stdin, the reply as JSON on stdout. The helper resolves every path inside the container
 * and refuses what leaves {@code /workspace}.
 *
 * <p>Two ways to reach it. {@link #inSession} sends the request to the helper that the
 * workspace's default shell session keeps running (started from the helper's source, which the
 * session's driver is sent once, with the first request): less than the round trip of a shell
 * command, with no interpreter start and no fork, for the agent's file, IDE and git actions and a
 * test run's report.
 * {@link #Helper(SandboxContainer)} runs it in a {@code docker exec} of its own, whose exit code
 * comes from the engine: for the evaluation, which must not depend on a process the agent can
 * write to (DECISIONS.md).
 */
public final class Helper {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = Scripts.text(Helper.class, "helper.py");
    /**
     * Isolated ({@code -I}: neither the working directory, /workspace, nor {@code PYTHON*} on the
     * module path, so a module the agent wrote there is never imported) and without {@code site}.
     */
    private static final List<String> ARGV = List.of("python3", "-I", "-S", "-c", SOURCE);

    private static final byte[] SOURCE_BYTES = SOURCE.getBytes(StandardCharsets.UTF_8);

    private final SandboxContainer container;
    private final Transport transport;
    private UsageReport lastUsage = UsageReport.unmeasured();

    private enum Transport { EXEC, SESSION }

    /** The helper in a {@code docker exec} per request. */
    public Helper(SandboxContainer container) {
        this(container, Transport.EXEC);
    }

    private Helper(SandboxContainer container, Transport transport) {
        this.container = requireNonNull(container, "container is null");
        this.transport = transport;
    }

    /**
     * The helper resident in the container's default shell session: no exec and no interpreter
     * start per request, and the session measures each request as one action in the same round
     * trip ({@link #takeUsage}). For actions that make one request.
     */
    public static Helper inSession(SandboxContainer container) {
        return new Helper(container, Transport.SESSION);
    }

    /** The measurement of the last request since the previous call, or an unmeasured report. */
    public UsageReport takeUsage() {
        UsageReport usage = lastUsage;
        lastUsage = UsageReport.unmeasured();
        return usage;
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

    /** @param env variables for the programs the request runs (git's identity, say) */
    public HelperReply call(Map<String, ?> request, Map<String, String> env, Duration timeout, int maxReplyBytes)
            throws WorkspaceException {
        Map<String, Object> full = new java.util.LinkedHashMap<>(request);
        if (!env.isEmpty()) {
            full.put("env", env);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(full);
        } catch (IOException e) {
            throw new UncheckedIOException("a helper request could not be written as JSON", e);
        }
        if (transport == Transport.EXEC) {
            return interpret(container.exec(ARGV, json, timeout, maxReplyBytes), timeout);
        }
        // the session sends the helper's source along the first time; its driver keeps it and starts
        // (or, when the agent killed it, restarts) the helper from it
        ShellRequest shell = ShellRequest.helper(SOURCE_BYTES, json, timeout, maxReplyBytes);
        ShellResult result = container.shell(SandboxContainer.DEFAULT_SESSION, shell.withMeasurement());
        lastUsage = result.usage();
        if (result.status() != ShellResult.Status.RAN) {
            String why = result.sessionNote() != null ? result.sessionNote() : "the session answered " + result.status();
            return HelperReply.failed("the in-container helper did not finish: " + why, false);
        }
        return interpret(result.exec(), timeout);
    }

    /** A helper reply and the exec of the command the helper became after replying. */
    public record Chained(HelperReply reply, ExecResult exec) {}

    /** What python may take to start and reply on a loaded machine, on top of the request's budget. */
    private static final Duration START_MARGIN = Duration.ofSeconds(30);
    private static final java.util.regex.Pattern FRAME = java.util.regex.Pattern.compile("\u001emz-reply (\\d+)\u001e");

    /**
     * Runs one request, then, in the same exec, {@code argv}: the helper prints its reply framed
     * by length and replaces itself with {@code argv}, so the exec's exit code, reported by the
     * engine, is the command's. Empty when the helper did not get as far as replying (no python
     * in the image, say): then {@code argv} did not run either.
     *
     * @param requestBudget how long the request may take; past it the helper replies with an
     *     error and the command still runs
     * @param commandTimeout the command's own timeout; the exec's is both plus a margin for
     *     python's start on a loaded machine
     * @param maxOutputBytes how much of the command's own output is wanted; the stream is capped
     *     so that the reply always survives in the kept head
     */
    public java.util.Optional<Chained> callThenExec(Map<String, ?> request, List<String> argv, Duration requestBudget,
            Duration commandTimeout, int maxReplyBytes, int maxOutputBytes) throws WorkspaceException {
        Map<String, Object> chained = new java.util.LinkedHashMap<>(request);
        chained.put("then_exec", argv);
        chained.put("then_budget_s", Math.max(1, requestBudget.toSeconds()));
        Duration timeout = requestBudget.plus(commandTimeout).plus(START_MARGIN);
        byte[] stdin;
        try {
            stdin = JSON.writeValueAsBytes(chained);
        } catch (IOException e) {
            throw new UncheckedIOException("a helper request could not be written as JSON", e);
        }
        long cap = 2L * ((long) maxReplyBytes + maxOutputBytes + 64);
        ExecResult exec = container.exec(ARGV, Map.of(), stdin, timeout,
                (int) Math.min(Integer.MAX_VALUE - 8, cap));
        return split(exec);
    }

    /** Takes the framed reply off the front of the exec's stdout; what follows is the command's. */
    static java.util.Optional<Chained> split(ExecResult exec) {
        String text = exec.stdout().text();
        var frame = FRAME.matcher(text);
        if (!frame.lookingAt()) {
            return java.util.Optional.empty();
        }
        int length = Integer.parseInt(frame.group(1));
        int end = frame.end() + length;
        if (end > text.length()) {
            return java.util.Optional.empty();
        }
        HelperReply reply;
        try {
            reply = HelperReply.of(JSON.readTree(text.substring(frame.end(), end)));
        } catch (IOException e) {
            reply = HelperReply.failed("the in-container helper replied with something that is not JSON", false);
        }
        var stdout = exec.stdout();
        var rest = new io.mechanize.worker.sandbox.CappedOutput(text.substring(end),
                Math.max(0, stdout.totalBytes() - end), stdout.truncated());
        return java.util.Optional.of(new Chained(reply,
                new ExecResult(exec.exitCode(), rest, exec.stderr(), exec.timedOut(), exec.duration())));
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
}
