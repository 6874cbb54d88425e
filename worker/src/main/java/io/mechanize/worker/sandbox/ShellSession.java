package io.mechanize.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
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

    private final String name;
    private final Clock clock;
    private final String idPrefix = UUID.randomUUID().toString().substring(0, 8);
    private DriverProcess process;
    private long counter;

    // guarded by this
    private final MarkerSplitter outSplit = new MarkerSplitter();
    private final MarkerSplitter errSplit = new MarkerSplitter();
    /** Requests sent whose stdout marker has not come yet, oldest first: stdout belongs to the first. */
    private final ArrayDeque<Call> awaitingOut = new ArrayDeque<>();
    /** The same for stderr: the two streams reach the worker independently of each other. */
    private final ArrayDeque<Call> awaitingErr = new ArrayDeque<>();
    private String endedWhy;
    private Call lastSubmitted;
    /** Whether this driver has been sent the helper's source, which it keeps (shell-driver.sh). */
    private boolean helperSourceSent;

    /**
     * One request on its way: the driver answers requests strictly in the order they were sent,
     * so several may be sent before the first is answered ({@link #submit}).
     */
    static final class Call {
        private final String id;
        private final ShellRequest request;
        private final Instant sent;
        private final HeadTailBuffer out;
        private final HeadTailBuffer err;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private String outPayload;
        private boolean errDone;
        private Instant answered;
        /** The call submitted just before this one, until this one is awaited. */
        private Call previous;
        /** The driver had to start a helper and had no source for it. */
        private boolean needsSource;

        private Call(String id, ShellRequest request, Instant sent) {
            this.id = id;
            this.request = request;
            this.sent = sent;
            this.out = new HeadTailBuffer(request.maxOutputBytes());
            this.err = new HeadTailBuffer(request.maxOutputBytes());
        }
    }

    ShellSession(String name, Clock clock) {
        this.name = name;
        this.clock = clock;
    }

    static ShellSession start(DockerClient client, String containerId, String name, Clock clock) throws WorkspaceException {
        ShellSession session = new ShellSession(name, clock);
        session.process = AttachedProcess.start(client, containerId,
                List.of("bash", "--noprofile", "--norc", "-c", "eval \"$MZ_DRIVER\"", "mz-session", STATE_ROOT + name),
                Map.of("MZ_DRIVER", Scripts.OBSERVE + Scripts.SHELL_DRIVER, "MZ_COMMAND", Scripts.SHELL_COMMAND), session);
        return session;
    }

    /**
     * The session whose driver is the container's main process ({@link ContainerSpec#MAIN_SUPERVISOR}),
     * attached to before the container starts.
     */
    static ShellSession attachMain(DockerClient client, String containerId, String name, Clock clock)
            throws WorkspaceException {
        ShellSession session = new ShellSession(name, clock);
        session.process = AttachedProcess.attachMain(client, containerId, ATTACH_TIMEOUT, session);
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
        Call call = submit(request, baselineFirst);
        ShellResult result = await(call);
        if (call.needsSource) {
            // the driver could not keep the source it was sent (/tmp was full): once more, with it
            synchronized (this) {
                helperSourceSent = false;
            }
            result = await(submit(request, false));
        }
        return result;
    }

    /**
     * Sends a request without waiting for the answers to those sent before it: the driver reads
     * the next request only when it has answered the last, so a batch of commands runs in order,
     * each from the state the one before left, while no round trip through the engine and the
     * worker stands between two of them. Collect each call's result with {@link #await}, in the
     * order they were submitted.
     */
    Call submit(ShellRequest request, boolean baselineFirst) {
        Call call = new Call(idPrefix + "-" + (++counter), request, clock.instant());
        ShellRequest wire = request;
        synchronized (this) {
            if (request.helper()) {
                // the driver keeps the helper's source from the first request that brings it
                wire = helperSourceSent ? request.withoutHelperSource() : request;
                helperSourceSent = true;
            }
            call.previous = lastSubmitted;
            lastSubmitted = call;
            if (endedWhy != null) {
                call.done.complete(null);
            } else {
                if (awaitingOut.isEmpty()) {
                    outSplit.expect(call.id);
                }
                if (awaitingErr.isEmpty()) {
                    errSplit.expect(call.id);
                }
                awaitingOut.add(call);
                awaitingErr.add(call);
            }
        }
        process.send(encode(call.id, wire, baselineFirst));
        return call;
    }

    /**
     * The result of a submitted call, once the driver has answered it or {@link #GRACE} past its
     * timeout has gone by, counted from the answer to the call before it (the driver started it
     * then). Its duration is the same span: the time the command held the session.
     */
    ShellResult await(Call call) {
        Instant start;
        synchronized (this) {
            Call before = call.previous;
            call.previous = null;
            start = before != null && before.answered != null && before.answered.isAfter(call.sent)
                    ? before.answered : call.sent;
        }
        boolean answered = await(call.done, start.plus(call.request.timeout()).plus(GRACE));
        synchronized (this) {
            Duration took = Duration.between(start, call.answered != null ? call.answered : clock.instant());
            CappedOutput stdout = call.out.toOutput();
            CappedOutput stderr = call.err.toOutput();
            if (!answered || call.outPayload == null || !call.errDone) {
                // given up on (hung) or ended: nothing after it will be answered either
                ended(answered ? endedWhy() : "it did not answer within " + GRACE.toSeconds() + "s after the timeout");
                ExecResult exec = new ExecResult(-1, stdout, stderr, !answered, took);
                return new ShellResult(exec, ShellResult.Status.SESSION_DIED, null);
            }
            int lineEnd = call.outPayload.indexOf('\n');
            String head = lineEnd < 0 ? call.outPayload : call.outPayload.substring(0, lineEnd);
            UsageReport usage = call.request.measured() && lineEnd >= 0
                    ? UsageReport.parse(call.outPayload.substring(lineEnd + 1)) : UsageReport.unmeasured();
            String[] fields = head.strip().split(" ");
            if (fields.length < 3 || !fields[0].matches("-?[0-9]{1,9}")) {
                // not what the driver writes: something else wrote to its stream (the agent can),
                // and nothing the session says from here on can be trusted to be in step
                ended("its reply was not understood: '" + head.strip() + "'");
                ExecResult exec = new ExecResult(-1, stdout, stderr, false, took);
                return new ShellResult(exec, ShellResult.Status.SESSION_DIED, null);
            }
            int exitCode = Integer.parseInt(fields[0]);
            boolean timedOut = "1".equals(fields[1]);
            call.needsSource = "nosource".equals(fields[2]);
            ShellResult.Status status = switch (fields[2]) {
                case "escape" -> ShellResult.Status.PATH_ESCAPE;
                case "nodir" -> ShellResult.Status.NO_WORKING_DIR;
                default -> ShellResult.Status.RAN;
            };
            return new ShellResult(new ExecResult(timedOut ? -1 : exitCode, stdout, stderr, timedOut, took), status, null,
                    usage);
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
     * name/value pairs), then the command's standard input.
     */
    static byte[] encode(String id, ShellRequest request, boolean baselineFirst) {
        long seconds = Math.max(1, (request.timeout().toMillis() + 999) / 1000);
        String mode = (request.measured() ? "m" : "") + (request.measured() && baselineFirst ? "b" : "")
                + (request.raw() ? "r" : "") + (request.helper() ? "h" : "");
        byte[] stdin = request.stdin() == null ? new byte[0] : request.stdin();
        StringBuilder header = new StringBuilder(id).append(' ').append(seconds)
                .append(' ').append(mode.isEmpty() ? "-" : mode).append(' ').append(stdin.length);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        java.util.List<String> fields = new java.util.ArrayList<>();
        fields.add(request.workingDir() == null ? "" : request.workingDir());
        fields.add(request.command());
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
        all.writeBytes(stdin);
        return all.toByteArray();
    }

    @Override
    public synchronized void stdout(byte[] bytes) {
        byte[] chunk = bytes;
        while (!awaitingOut.isEmpty()) {
            Call call = awaitingOut.peek();
            String payload = outSplit.feed(chunk, (b, n) -> call.out.write(b, 0, n));
            if (payload == null) {
                return;
            }
            call.outPayload = payload;
            awaitingOut.poll();
            completeIfBoth(call);
            // what follows the marker is the next call's output
            Call next = awaitingOut.peek();
            outSplit.expect(next == null ? null : next.id);
            chunk = new byte[0];
        }
        outSplit.feed(chunk, (b, n) -> { }); // nothing was asked for: not any request's output
    }

    @Override
    public synchronized void stderr(byte[] bytes) {
        byte[] chunk = bytes;
        while (!awaitingErr.isEmpty()) {
            Call call = awaitingErr.peek();
            if (errSplit.feed(chunk, (b, n) -> call.err.write(b, 0, n)) == null) {
                return;
            }
            call.errDone = true;
            awaitingErr.poll();
            completeIfBoth(call);
            Call next = awaitingErr.peek();
            errSplit.expect(next == null ? null : next.id);
            chunk = new byte[0];
        }
        errSplit.feed(chunk, (b, n) -> { });
    }

    /** The driver is gone or no longer trusted: every call still waiting is answered as dead. */
    @Override
    public synchronized void ended(String why) {
        if (endedWhy == null) {
            endedWhy = why;
        }
        for (Call call : awaitingOut) {
            call.done.complete(null);
        }
        for (Call call : awaitingErr) {
            call.done.complete(null);
        }
        awaitingOut.clear();
        awaitingErr.clear();
    }

    private void completeIfBoth(Call call) {
        if (call.outPayload != null && call.errDone) {
            call.answered = clock.instant();
            call.done.complete(null);
        }
    }

    @Override
    public void close() {
        process.close();
    }
}
