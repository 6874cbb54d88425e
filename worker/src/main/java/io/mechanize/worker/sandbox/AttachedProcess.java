package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A long-lived process in a container (one {@code docker exec -i}): requests go to its stdin,
 * its stdout and stderr frames go to a {@link Listener}, kept apart. The shell sessions and the
 * usage probe are such processes; one exec at start, none per command.
 */
final class AttachedProcess implements AutoCloseable {
    /** Where the process's output goes; called on the engine client's thread. */
    interface Listener {
        void stdout(byte[] bytes);

        void stderr(byte[] bytes);

        /** The output streams ended: the process (and whatever held its pipes) is gone. */
        void ended(String why);
    }

    private final DockerClient client;
    private final String execId;
    private final QueueInputStream stdin = new QueueInputStream();
    private final ResultCallback.Adapter<Frame> callback;
    private volatile boolean ended;

    private AttachedProcess(DockerClient client, String execId, Listener listener) {
        this.client = client;
        this.execId = execId;
        this.callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                byte[] payload = frame.getPayload();
                if (payload == null) {
                    return;
                }
                switch (frame.getStreamType()) {
                    case STDERR -> listener.stderr(payload);
                    case STDOUT, RAW -> listener.stdout(payload);
                    case STDIN -> { } // never sent back by the engine
                }
            }

            @Override
            public void onError(Throwable throwable) {
                ended = true;
                listener.ended("its stream failed: " + throwable.getMessage());
            }

            @Override
            public void onComplete() {
                ended = true;
                listener.ended("it exited");
            }
        };
    }

    static AttachedProcess start(DockerClient client, String containerId, List<String> argv, Map<String, String> env,
            Listener listener) throws WorkspaceException {
        requireNonNull(listener, "listener is null");
        try {
            String execId = client.execCreateCmd(containerId)
                    .withCmd(argv.toArray(String[]::new))
                    .withEnv(env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                    .withUser(ContainerSpec.SANDBOX_USER)
                    .withWorkingDir(ContainerSpec.WORKSPACE_DIR)
                    .withAttachStdin(true)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .exec()
                    .getId();
            AttachedProcess process = new AttachedProcess(client, execId, listener);
            client.execStartCmd(execId).withStdIn(process.stdin).exec(process.callback);
            return process;
        } catch (DockerException e) {
            throw new WorkspaceException("action", "starting " + argv.getFirst() + " in container "
                    + containerId.substring(0, Math.min(12, containerId.length())) + " failed: " + e.getMessage(), e);
        }
    }

    void send(byte[] bytes) {
        stdin.offer(bytes);
    }

    /** Whether the engine says the process still runs (one inspect call). */
    boolean running() {
        if (ended) {
            return false;
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
        try {
            callback.close();
        } catch (IOException e) {
            // the stream is going away with the process; nothing left to do
        }
    }
}
