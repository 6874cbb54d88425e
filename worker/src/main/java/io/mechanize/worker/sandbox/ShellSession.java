package io.mechanize.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One persistent shell session: a driver bash ({@code shell-driver.sh}) in one long-lived exec,
 * or, for a workspace's first default session, in the container's main process.
 * Each request is written to its stdin; each command runs in its own process group, from the
 * session's saved working directory and exported variables, and saves them back; the driver
 * enforces the timeout and ends each command's stdout and stderr with a marker.
 */
final class ShellSession implements AttachedProcess.Listener, AutoCloseable {
    /** How long past a command's timeout the driver may take to answer before it counts as hung. */
    static final Duration GRACE = Duration.ofSeconds(5);
    private static final Duration LIVENESS_POLL = Duration.ofMillis(500);
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);
    static final String STATE_ROOT = "/tmp/.mechanize/sessions/";
    /** The kind a driver answers when it must start the helper and has no source for it. */
    private static final String NO_SOURCE = "nosource";

    private final String name;
    private final Clock clock;
    private final String idPrefix = UUID.randomUUID().toString().substring(0, 8);
    private DriverProcess process;
    private long counter;
    /** Whether this driver has been sent the helper's source, which it keeps (shell-driver.sh). */
    private boolean helperSourceSent;

    // guarded by this
    private final MarkerSplitter outSplit = new MarkerSplitter();
    private final MarkerSplitter errSplit = new MarkerSplitter();
    private HeadTailBuffer out = new HeadTailBuffer(0);
    private HeadTailBuffer err = new HeadTailBuffer(0);
    private String outPayload;
    private boolean errDone;
    private String endedWhy;
    private CompletableFuture<Void> done = new CompletableFuture<>();

    private ShellSession(String name, Clock clock) {
        this.name = name;
        this.clock = clock;
    }

    static ShellSession start(DockerClient client, EngineSocket socket, String containerId, String name, Clock clock)
            throws WorkspaceException {
        ShellSession session = new ShellSession(name, clock);
        session.process = AttachedProcess.start(client, socket, containerId,
                List.of("bash", "--noprofile", "--norc", "-c", "eval \"$MZ_DRIVER\"", "mz-session", STATE_ROOT + name),
                Map.of("MZ_DRIVER", Scripts.OBSERVE + Scripts.SHELL_DRIVER, "MZ_COMMAND", Scripts.SHELL_COMMAND), session);
        return session;
    }

    /**
     * The session whose driver is the container's main process ({@link ContainerSpec#MAIN_SUPERVISOR}),
     * attached to before the container starts.
     */
    static ShellSession attachMain(DockerClient client, EngineSocket socket, String containerId, String name, Clock clock)
            throws WorkspaceException {
        ShellSession session = new ShellSession(name, clock);
        session.process = AttachedProcess.attachMain(client, socket, containerId, ATTACH_TIMEOUT, session);
        return session;
    }

    /** For tests: a session over a stand-in driver, whose output the test feeds to the listener methods. */
    static ShellSession over(DriverProcess driver, String name, Clock clock) {
        ShellSession session = new ShellSession(name, clock);
        session.process = driver;
        return session;
    }

    String name() {
        return name;
    }

    /** Whether the driver still runs (asks the engine: a background job may hold its pipes). */
    boolean alive() {
        synchronized (this) {
            if (endedWhy != null) {
                return false;
            }
        }
        return process.running();
    }

    synchronized String endedWhy() {
        return endedWhy == null ? "its shell exited" : endedWhy;
    }

    /**
     * Runs one request; a dead or hung driver is reported as {@link ShellResult.Status#SESSION_DIED}.
     *
     * @param baselineFirst for a measured request: list /workspace afresh before the command,
     *     because files changed since the last measured action outside any action
     */
    ShellResult run(ShellRequest request, boolean baselineFirst) {
        if (!request.helper()) {
            return send(request, baselineFirst, false).result();
        }
        // the driver keeps the helper's source from the first request that brings it
        Answer answer = send(request, baselineFirst, !helperSourceSent);
        helperSourceSent = true;
        if (answer.result().status() == ShellResult.Status.RAN && NO_SOURCE.equals(answer.kind())) {
            // it had to start a helper and had no source (none came to it whole): once more, with it
            answer = send(request, false, true);
        }
        return answer.result();
    }

    /** A result, and the kind the driver gave it (ok, escape, nodir, nosource, killed...; null: no answer). */
    private record Answer(ShellResult result, String kind) {}

    private Answer send(ShellRequest request, boolean baselineFirst, boolean withHelperSource) {
        String id = idPrefix + "-" + (++counter);
        CompletableFuture<Void> finished;
        synchronized (this) {
            out = new HeadTailBuffer(request.maxOutputBytes());
            err = new HeadTailBuffer(request.maxOutputBytes());
            outPayload = null;
            errDone = false;
            outSplit.expect(id);
            errSplit.expect(id);
            done = new CompletableFuture<>();
            finished = done;
            if (endedWhy != null) {
                finished.complete(null);
            }
        }
        Instant start = clock.instant();
        process.send(encode(id, request, baselineFirst, withHelperSource));
        boolean answered = await(finished, start.plus(request.timeout()).plus(GRACE));
        Duration took = Duration.between(start, clock.instant());
        synchronized (this) {
            outSplit.expect(null);
            errSplit.expect(null);
            CappedOutput stdout = out.toOutput();
            CappedOutput stderr = err.toOutput();
            if (!answered || outPayload == null) {
                ExecResult exec = new ExecResult(-1, stdout, stderr, !answered, took);
                return new Answer(new ShellResult(exec, ShellResult.Status.SESSION_DIED, null), null);
            }
            int lineEnd = outPayload.indexOf('\n');
            String head = lineEnd < 0 ? outPayload : outPayload.substring(0, lineEnd);
            UsageReport usage = request.measured() && lineEnd >= 0
                    ? UsageReport.parse(outPayload.substring(lineEnd + 1)) : UsageReport.unmeasured();
            String[] fields = head.strip().split(" ");
            if (fields.length < 3 || !fields[0].matches("-?[0-9]{1,9}")) {
                // not what the driver writes: something else wrote to its stream (the agent can),
                // and nothing the session says from here on can be trusted to be in step
                ended("its reply was not understood: '" + head.strip() + "'");
                ExecResult exec = new ExecResult(-1, stdout, stderr, false, took);
                return new Answer(new ShellResult(exec, ShellResult.Status.SESSION_DIED, null), null);
            }
            int exitCode = Integer.parseInt(fields[0]);
            boolean timedOut = "1".equals(fields[1]);
            ShellResult.Status status = switch (fields[2]) {
                case "escape" -> ShellResult.Status.PATH_ESCAPE;
                case "nodir" -> ShellResult.Status.NO_WORKING_DIR;
                default -> ShellResult.Status.RAN;
            };
            return new Answer(new ShellResult(new ExecResult(timedOut ? -1 : exitCode, stdout, stderr, timedOut, took),
                    status, null, usage), fields[2]);
        }
    }

    /** Waits for the markers, checking now and then that the driver still lives. */
    private boolean await(CompletableFuture<Void> finished, Instant deadline) {
        while (true) {
            try {
                finished.get(LIVENESS_POLL.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (TimeoutException e) {
                if (!clock.instant().isBefore(deadline)) {
                    return false;
                }
                if (!process.running()) {
                    ended("its shell exited");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                return true;
            }
        }
    }

    /**
     * {@code ID TIMEOUT MODE STDIN_LEN LEN...\n}, then the fields (working_dir, command, env
     * name/value pairs), then the command's standard input. For a helper request the command field
     * is the length of the helper's source, with which the input then starts (0: none).
     */
    static byte[] encode(String id, ShellRequest request, boolean baselineFirst, boolean withHelperSource) {
        long seconds = Math.max(1, (request.timeout().toMillis() + 999) / 1000);
        String mode = (request.measured() ? "m" : "") + (request.measured() && baselineFirst ? "b" : "")
                + (request.raw() ? "r" : "") + (request.helper() ? "h" : "");
        byte[] stdin = request.stdin() == null ? new byte[0] : request.stdin();
        byte[] source = request.helper() && withHelperSource ? request.helperSource() : new byte[0];
        StringBuilder header = new StringBuilder(id).append(' ').append(seconds)
                .append(' ').append(mode.isEmpty() ? "-" : mode).append(' ').append(source.length + stdin.length);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        java.util.List<String> fields = new java.util.ArrayList<>();
        fields.add(request.workingDir() == null ? "" : request.workingDir());
        fields.add(request.helper() ? Integer.toString(source.length) : request.command());
        request.env().forEach((k, v) -> {
            fields.add(k);
            fields.add(v);
        });
        for (String field : fields) {
            byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
            header.append(' ').append(bytes.length);
            body.writeBytes(bytes);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(header.append('\n').toString().getBytes(StandardCharsets.US_ASCII));
        all.writeBytes(body.toByteArray());
        all.writeBytes(source);
        all.writeBytes(stdin);
        return all.toByteArray();
    }

    @Override
    public synchronized void stdout(byte[] bytes) {
        String payload = outSplit.feed(bytes, (b, n) -> out.write(b, 0, n));
        if (payload != null) {
            outPayload = payload;
            completeIfBoth();
        }
    }

    @Override
    public synchronized void stderr(byte[] bytes) {
        if (errSplit.feed(bytes, (b, n) -> err.write(b, 0, n)) != null) {
            errDone = true;
            completeIfBoth();
        }
    }

    @Override
    public synchronized void ended(String why) {
        if (endedWhy == null) {
            endedWhy = why;
        }
        done.complete(null);
    }

    private void completeIfBoth() {
        if (outPayload != null && errDone) {
            done.complete(null);
        }
    }

    @Override
    public void close() {
        process.close();
    }
}
