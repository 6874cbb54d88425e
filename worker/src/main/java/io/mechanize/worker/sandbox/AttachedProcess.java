package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A long-lived process in a container (one {@code docker exec -i}, or the container's own main
 * process through an attach): requests go to its stdin, its stdout and stderr frames go to a
 * {@link Listener}, kept apart. The shell sessions are such processes; one
 * exec (or none) at start, none per command. On an engine reached over its unix socket, TCP or
 * TLS the stream is the worker's own ({@link EngineSocket}: two virtual threads); otherwise (a
 * named pipe) docker-java's.
 */
final class AttachedProcess implements DriverProcess {
    /**
     * What the container's main process prints on stdout when the session driver it started has
     * exited (see {@link ContainerSpec#MAIN_SUPERVISOR}); it then sleeps, keeping the container.
     */
    static final String MAIN_ENDED = "\036mz-main-session-ended\036";
    /** How long the engine may take to start a session's exec and upgrade its stream. */
    private static final Duration EXEC_START_TIMEOUT = Duration.ofSeconds(30);
    private static final byte[] MAIN_ENDED_BYTES = MAIN_ENDED.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Where the process's output goes; called on the thread that reads its stream. */
    interface Listener {
        void stdout(byte[] bytes);

        void stderr(byte[] bytes);

        /** The output streams ended: the process (and whatever held its pipes) is gone. */
        void ended(String why);
    }

    private final DockerClient client;
    /** The exec's id; null for the container's main process. */
    private final String execId;
    private final QueueInputStream stdin = new QueueInputStream();
    private final ResultCallback.Adapter<Frame> callback;
    /** The main process's stream when the worker attached over the engine's socket itself; else null. */
    private volatile EngineSocket.Stream stream;
    private final Listener listener;
    private volatile boolean ended;
    /** For the main process: the tail of stdout seen so far, where a split end marker begins. */
    private byte[] stdoutTail = new byte[0];

    private AttachedProcess(DockerClient client, String execId, Listener listener) {
        this.client = client;
        this.execId = execId;
        this.listener = listener;
        this.callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                byte[] payload = frame.getPayload();
                if (payload == null) {
                    return;
                }
                switch (frame.getStreamType()) {
                    case STDERR -> stderr(payload);
                    case STDOUT, RAW -> stdout(payload);
                    case STDIN -> { } // never sent back by the engine
                }
            }

            @Override
            public void onError(Throwable throwable) {
                end("its stream failed: " + throwable.getMessage());
            }

            @Override
            public void onComplete() {
                end("it exited");
            }
        };
    }

    private void stdout(byte[] payload) {
        listener.stdout(payload);
        if (execId == null && sawMainEnded(payload)) {
            end("its shell exited");
        }
    }

    private void stderr(byte[] payload) {
        listener.stderr(payload);
    }

    private void end(String why) {
        ended = true;
        listener.ended(why);
    }

    /** The output of a stream attached over the engine's socket ({@link EngineSocket}). */
    private EngineSocket.Output output() {
        return new EngineSocket.Output() {
            @Override
            public void stdout(byte[] bytes) {
                AttachedProcess.this.stdout(bytes);
            }

            @Override
            public void stderr(byte[] bytes) {
                AttachedProcess.this.stderr(bytes);
            }

            @Override
            public void ended(String why) {
                end(why);
            }
        };
    }

    /**
     * Starts {@code argv} by exec in the container, its stdin, stdout and stderr attached.
     *
     * @param socket the engine's socket (unix, TCP or TLS), to stream the exec without docker-java's
     *     two platform threads ({@link EngineSocket}); null: through docker-java (an engine on a named pipe)
     */
    static AttachedProcess start(DockerClient client, EngineSocket socket, String containerId, List<String> argv,
            Map<String, String> env, Listener listener) throws WorkspaceException {
        requireNonNull(listener, "listener is null");
        try {
            String execId = client.execCreateCmd(containerId)
                    .withCmd(argv.toArray(String[]::new))
                    .withEnv(java.util.stream.Stream.concat(
                            ContainerSpec.SESSION_ENV.stream().filter(name -> !env.containsKey(name)).map(name -> name + "="),
                            env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())).toList())
                    .withUser(ContainerSpec.SANDBOX_USER)
                    .withWorkingDir(ContainerSpec.WORKSPACE_DIR)
                    .withAttachStdin(true)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .exec()
                    .getId();
            AttachedProcess process = new AttachedProcess(client, execId, listener);
            if (socket != null) {
                process.stream = socket.startExec(execId, process.stdin, process.output(), EXEC_START_TIMEOUT, false);
                return process;
            }
            client.execStartCmd(execId).withStdIn(process.stdin).exec(process.callback);
            return process;
        } catch (DockerException e) {
            throw new WorkspaceException("action", "starting " + argv.getFirst() + " in container "
                    + DockerEngine.shortId(containerId) + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Attaches to the container's main process, which must be the session supervisor, before the
     * container starts (so nothing it prints is missed); the caller starts the container after.
     *
     * @param socket the engine's socket (unix, TCP or TLS), to attach without docker-java's two
     *     platform threads per stream; null: through docker-java (an engine on a named pipe)
     */
    static AttachedProcess attachMain(DockerClient client, EngineSocket socket, String containerId, Duration timeout,
            Listener listener) throws WorkspaceException {
        requireNonNull(listener, "listener is null");
        AttachedProcess process = new AttachedProcess(client, null, listener);
        if (socket != null) {
            process.stream = socket.attach(containerId, process.stdin, process.output(), timeout);
            return process;
        }
        try {
            client.attachContainerCmd(containerId)
                    .withStdIn(process.stdin)
                    .withStdOut(true)
                    .withStdErr(true)
                    .withFollowStream(true)
                    .withLogs(false)
                    .exec(process.callback);
            if (!process.callback.awaitStarted(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                process.close();
                throw new WorkspaceException("create", "attaching to container " + DockerEngine.shortId(containerId)
                        + " did not complete within " + timeout.toMillis() + " ms");
            }
            return process;
        } catch (DockerException e) {
            process.close();
            throw new WorkspaceException("create", "attaching to container " + DockerEngine.shortId(containerId)
                    + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.close();
            throw new WorkspaceException("create", "interrupted while attaching to container "
                    + DockerEngine.shortId(containerId), e);
        }
    }

    /** Looks for the end marker in stdout, also when the engine split it over two frames. */
    private synchronized boolean sawMainEnded(byte[] payload) {
        byte[] window = new byte[stdoutTail.length + payload.length];
        System.arraycopy(stdoutTail, 0, window, 0, stdoutTail.length);
        System.arraycopy(payload, 0, window, stdoutTail.length, payload.length);
        int keep = Math.min(window.length, MAIN_ENDED_BYTES.length - 1);
        stdoutTail = java.util.Arrays.copyOfRange(window, window.length - keep, window.length);
        outer:
        for (int i = 0; i + MAIN_ENDED_BYTES.length <= window.length; i++) {
            for (int j = 0; j < MAIN_ENDED_BYTES.length; j++) {
                if (window[i + j] != MAIN_ENDED_BYTES[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void send(byte[] bytes) {
        stdin.offer(bytes);
    }

    /**
     * Whether the process still runs: for an exec the engine is asked (one inspect call); the
     * main process's driver announces its own end, and the container's end ends the stream.
     */
    @Override
    public boolean running() {
        if (ended) {
            return false;
        }
        if (execId == null) {
            return true;
        }
        try {
            return Boolean.TRUE.equals(client.inspectExecCmd(execId).exec().isRunning());
        } catch (NotFoundException e) {
            return false;
        } catch (DockerException e) {
            return !ended;
        }
    }

    @Override
    public void close() {
        stdin.close();
        EngineSocket.Stream attached = stream;
        if (attached != null) {
            attached.close();
            return;
        }
        try {
            callback.close();
        } catch (IOException e) {
            // the stream is going away with the process; nothing left to do
        }
    }
}
