package io.mechanize.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Force-removes a container, again when the engine fails transiently: under hundreds of
 * concurrent removals Docker 20.10 answers 500 "unable to remove filesystem ... directory not
 * empty" while a container's log file is still being closed, and a second try succeeds.
 *
 * <p>Each attempt is waited for {@link #ANSWER_TIMEOUT} at most. Docker 20.10.24 (Debian's
 * docker.io) can deadlock in libnetwork when many containers exit at once (moby/moby#42545, fixed
 * in 20.10.27): from then on every removal, inspect and start of the containers involved blocks
 * for good. The caller then goes on with an error, a workspace's close is answered instead of
 * holding its lane forever, and the request stays with the engine: the removal completes if the
 * engine ever gets to it, and the orphan sweep tries again otherwise.
 */
final class ContainerRemoval {
    private static final int ATTEMPTS = 5;
    private static final Duration BACKOFF = Duration.ofMillis(200);
    /** Far above a removal's time under a 500-container burst (seconds), far below "never". */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(90);
    /** Removal requests the engine has not answered yet, by container id. */
    private static final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private ContainerRemoval() {}

    /**
     * @return false when the container was already gone
     * @throws DockerException the last failure, when every attempt failed, or no answer within
     *     {@link #ANSWER_TIMEOUT}
     */
    static boolean remove(DockerClient client, String id) throws InterruptedException {
        return remove(client, id, ANSWER_TIMEOUT);
    }

    static boolean remove(DockerClient client, String id, Duration answerTimeout) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                removeOnce(client, id, answerTimeout);
                return true;
            } catch (NotFoundException e) {
                return attempt > 1; // gone by an earlier attempt that failed late
            } catch (EngineSilent e) {
                throw e; // asking again would only queue behind the request that hangs
            } catch (DockerException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(BACKOFF.multipliedBy(attempt));
            }
        }
    }

    private static void removeOnce(DockerClient client, String id, Duration answerTimeout) throws InterruptedException {
        // on a virtual thread of its own, so that a request the engine never answers costs
        // nothing but that thread, and the caller can stop waiting for it; a removal of the same
        // container asked again meanwhile (the orphan sweep's) waits for that request, so that a
        // wedged engine does not collect one hung request and connection per sweep
        CompletableFuture<Void> removal = inFlight.computeIfAbsent(id, k -> {
            CompletableFuture<Void> request = new CompletableFuture<>();
            Thread.ofVirtual().name("mechanize-remove-" + DockerEngine.shortId(id)).start(() -> {
                try {
                    client.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
                    request.complete(null);
                } catch (Throwable t) {
                    request.completeExceptionally(t);
                } finally {
                    inFlight.remove(id, request);
                }
            });
            return request;
        });
        try {
            removal.get(answerTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new EngineSilent("the engine did not answer the removal of container " + id + " within "
                    + answerTimeout.toSeconds() + " s; left to the engine and the orphan sweep");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new DockerException(String.valueOf(e.getCause()), 500, e.getCause());
        }
    }
}
