package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SandboxContainer} backed by a Docker container: actions through its shell sessions,
 * other commands (the evaluation's) via exec.
 */
final class DockerSandboxContainer implements SandboxContainer {
    private static final Logger log = LoggerFactory.getLogger(DockerSandboxContainer.class);
    /** How long the output may keep flowing after a timeout kill before the stream is cut. */
    private static final Duration DRAIN_AFTER_KILL = Duration.ofSeconds(2);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    /** What the engine may take to start an exec's stream before the exec is given up on. */
    private static final Duration EXEC_START_TIMEOUT = Duration.ofSeconds(30);
    /** The engine may report an exec's exit code a moment after its streams close. */
    private static final int EXIT_CODE_POLLS = 200;
    /** Shells report death by signal N as 128 + N. */
    private static final int SIGNAL_EXIT_BASE = 128;
    private static final long EXIT_CODE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final DockerClient client;
    private final String id;
    private final Clock clock;
    private final AtomicBoolean removed = new AtomicBoolean();
    /** Session name to its live driver; calls on one container are made one at a time. */
    private final Map<String, ShellSession> sessions = new ConcurrentHashMap<>();
    /**
     * Whether files under /workspace may have changed outside any measured action (an exec or an
     * unmeasured shell command since the last one): the next measurement lists /workspace afresh
     * before the action instead of comparing against the previous action's listing.
     */
    private volatile boolean baselineStale = true;
    /** Started with the session supervisor, and nothing has run in it since ({@link #readyForEmptySnapshot}). */
    private volatile boolean untouched;
    /** The container's own network, removed after the container. */
    private final WorkspaceNetworks.Lease network;
    /** Where the main session is attached without docker-java ({@link EngineSocket}); null: through it. */
    private final EngineSocket socket;

    DockerSandboxContainer(DockerClient client, String id, Clock clock) {
        this(client, id, clock, WorkspaceNetworks.Lease.NONE, null);
    }

    DockerSandboxContainer(DockerClient client, String id, Clock clock, WorkspaceNetworks.Lease network,
            EngineSocket socket) {
        this.client = requireNonNull(client, "client is null");
        this.id = requireNonNull(id, "id is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.network = requireNonNull(network, "network is null");
        this.socket = socket;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout, int maxOutputBytes)
            throws WorkspaceException {
        requireNonNull(argv, "argv is null");
        requireNonNull(env, "env is null");
        requireNonNull(timeout, "timeout is null");
        untouched = false;
        baselineStale = true;
        String marker = UUID.randomUUID().toString();
        List<String> envList = new ArrayList<>();
        ContainerSpec.SESSION_ENV.forEach(name -> envList.add(name + "=")); // the main session's scripts
        env.forEach((k, v) -> envList.add(k + "=" + v));
        envList.add(ExecCommands.MARKER_ENV + "=" + marker);
        Instant start = clock.instant();
        OutputCollector output = new OutputCollector(maxOutputBytes);
        String execId;
        try {
            execId = client.execCreateCmd(id)
                    .withCmd(ExecCommands.wrap(argv, stdin == null ? -1 : stdin.length).toArray(String[]::new))
                    .withEnv(envList)
                    .withUser(ContainerSpec.SANDBOX_USER)
                    .withAttachStdin(stdin != null)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .exec()
                    .getId();
            startExec(execId, stdin, output);
        } catch (DockerException | WorkspaceException e) {
            throw failure("exec of " + argv.getFirst() + " failed", e);
        }
        boolean timedOut = !await(output, timeout);
        if (timedOut) {
            log.info("container {}: command {} exceeded its timeout of {}; killing its process group",
                    shortId(), argv.getFirst(), timeout);
            killMarked(marker);
            if (!await(output, DRAIN_AFTER_KILL)) {
                closeQuietly(output);
            }
        }
        Duration duration = Duration.between(start, clock.instant());
        Integer exitCode = exitCode(execId);
        if (exitCode == null || exitCode >= SIGNAL_EXIT_BASE) {
            // killed by a signal or no exit code: maybe the whole container went down with it
            Optional<String> death = diagnose();
            if (death.isPresent()) {
                throw new WorkspaceException("action", "container " + shortId() + ": while running "
                        + argv.getFirst() + ": " + death.get());
            }
            if (exitCode == null && !timedOut) {
                throw failure("command " + argv.getFirst() + " ended without an exit code", null);
            }
        }
        return new ExecResult(exitCode == null ? -1 : exitCode, output.stdout(), output.stderr(), timedOut, duration);
    }

    @Override
    public ShellResult shell(String name, ShellRequest request) throws WorkspaceException {
        requireNonNull(name, "name is null");
        requireNonNull(request, "request is null");
        untouched = false;
        ShellSession session = sessions.get(name);
        String note = null;
        if (session != null && !session.alive()) {
            note = "the shell session '" + name + "' had ended (" + session.endedWhy() + "); a new one was started"
                    + " with the same working directory and exported variables";
            retire(session);
            session = null;
        }
        if (session == null) {
            session = startSession(name);
        }
        boolean baselineFirst = baselineStale;
        ShellResult result = session.run(request, baselineFirst);
        if (request.measured()) {
            baselineStale = !result.usage().changesKnown();
        } else {
            baselineStale = true; // an unmeasured command may have changed files outside any action
        }
        if (result.status() == ShellResult.Status.SESSION_DIED) {
            String why = result.exec().timedOut()
                    ? "it did not answer within " + ShellSession.GRACE.toSeconds() + "s after the timeout"
                    : session.endedWhy();
            retire(session);
            Optional<String> death = diagnose();
            if (death.isPresent()) {
                throw new WorkspaceException("action", "container " + shortId() + ": while running a shell command: "
                        + death.get());
            }
            startSession(name);
            note = "the shell session '" + name + "' died while running the command (" + why + "); a new one was"
                    + " started with the working directory and exported variables saved before this command";
        }
        return result.withNote(note);
    }

    private ShellSession startSession(String name) throws WorkspaceException {
        ShellSession session;
        try {
            session = ShellSession.start(client, socket, id, name, clock);
        } catch (WorkspaceException e) {
            Optional<String> death = diagnose();
            if (death.isPresent()) {
                throw new WorkspaceException("action", "container " + shortId() + ": starting shell session '" + name
                        + "': " + death.get(), e);
            }
            throw e;
        }
        sessions.put(name, session);
        return session;
    }

    /**
     * Attaches the default session to the container's main process, which must be the session
     * supervisor ({@link ContainerSpec#applyToWithSession}); called before the container starts.
     */
    void attachMainSession() throws WorkspaceException {
        sessions.put(DEFAULT_SESSION, ShellSession.attachMain(client, socket, id, DEFAULT_SESSION, clock));
        untouched = true;
    }

    @Override
    public boolean readyForEmptySnapshot() {
        ShellSession session = sessions.get(DEFAULT_SESSION);
        return untouched && session != null && session.alive();
    }

    /** The session state directory of a named session. */
    static String sessionStateDir(String name) {
        return ShellSession.STATE_ROOT + name;
    }

    /**
     * Starts the named shell session ahead of the first action (for a pooled container, so that
     * the workspace's snapshot placement and first command do not pay for it).
     */
    void prestart(String session) throws WorkspaceException {
        if (!sessions.containsKey(session)) {
            startSession(session);
        }
    }

    /** Stops listening to a session's driver (a hung driver is left to the container's removal). */
    private void retire(ShellSession session) {
        sessions.remove(session.name(), session);
        session.close();
    }

    private static boolean await(OutputCollector output, Duration timeout) {
        try {
            return output.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void killMarked(String marker) throws WorkspaceException {
        OutputCollector ignored = new OutputCollector(4096);
        try {
            String killId = client.execCreateCmd(id)
                    .withCmd(ExecCommands.kill(marker).toArray(String[]::new))
                    .withUser(ContainerSpec.SANDBOX_USER)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .exec()
                    .getId();
            startExec(killId, null, ignored);
            if (!await(ignored, KILL_TIMEOUT)) {
                log.warn("container {}: the timeout kill did not finish within {}", shortId(), KILL_TIMEOUT);
            }
        } catch (DockerException | WorkspaceException e) {
            throw failure("killing a timed-out command failed", e);
        } finally {
            closeQuietly(ignored);
        }
    }

    /**
     * Starts a created exec with its output going to {@code output} and {@code stdin} (or nothing)
     * written to it, over the engine's socket when the worker has it (no platform thread of
     * docker-java's for the exec), else through docker-java.
     */
    private void startExec(String execId, byte[] stdin, OutputCollector output) throws WorkspaceException {
        if (socket == null) {
            client.execStartCmd(execId).withStdIn(stdin == null ? null : new ByteArrayInputStream(stdin)).exec(output);
            return;
        }
        QueueInputStream input = new QueueInputStream();
        if (stdin != null) {
            input.offer(stdin);
        }
        input.close();
        // the stream may already have ended (a short command): its collector is complete then
        output.onStart(socket.startExec(execId, input, output.engineOutput(), EXEC_START_TIMEOUT, stdin != null));
    }

    private Integer exitCode(String execId) throws WorkspaceException {
        try {
            for (int i = 0; i < EXIT_CODE_POLLS; i++) {
                InspectExecResponse exec = client.inspectExecCmd(execId).exec();
                if (!Boolean.TRUE.equals(exec.isRunning()) && exec.getExitCodeLong() != null) {
                    return exec.getExitCodeLong().intValue();
                }
                LockSupport.parkNanos(EXIT_CODE_POLL_NANOS);
            }
            return null;
        } catch (DockerException e) {
            throw failure("reading the exit code failed", e);
        }
    }

    /**
     * A failure of the container itself: inspects it and says why it is gone, as Testcontainers'
     * {@code GenericContainer#tryStart} does.
     */
    private WorkspaceException failure(String what, Exception cause) {
        String why = diagnose().orElse("the container is running; the engine said: "
                + (cause == null ? "nothing" : cause.getMessage()));
        return new WorkspaceException("action", "container " + shortId() + ": " + what + ": " + why, cause);
    }

    /** Why the container is not running, or empty when it is. */
    Optional<String> diagnose() {
        try {
            InspectContainerResponse.ContainerState state = client.inspectContainerCmd(id).exec().getState();
            if (Boolean.TRUE.equals(state.getRunning())) {
                return Optional.empty();
            }
            if (Boolean.TRUE.equals(state.getOOMKilled())) {
                return Optional.of("the container died: OOMKilled (it hit its memory limit)");
            }
            String error = state.getError() == null || state.getError().isBlank() ? "" : " (" + state.getError() + ")";
            return Optional.of("the container died: exited with code " + state.getExitCodeLong() + error);
        } catch (NotFoundException e) {
            return Optional.of("the container no longer exists");
        } catch (DockerException e) {
            return Optional.of("the engine cannot inspect it: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (!removed.compareAndSet(false, true)) {
            return;
        }
        sessions.values().forEach(ShellSession::close);
        sessions.clear();
        try {
            log.debug(ContainerRemoval.remove(client, id) ? "container {} removed" : "container {} was already gone",
                    shortId());
        } catch (DockerException e) {
            log.warn("container {} could not be removed: {}", shortId(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("container {} not removed: interrupted", shortId());
        }
        network.close();
    }

    private String shortId() {
        return DockerEngine.shortId(id);
    }

    private static void closeQuietly(OutputCollector callback) {
        try {
            callback.close();
        } catch (IOException e) {
            log.debug("closing an exec stream failed: {}", e.getMessage());
        }
    }
}
