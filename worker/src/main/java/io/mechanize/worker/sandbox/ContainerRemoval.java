package io.mechanize.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.time.Duration;

/**
 * Force-removes a container, again when the engine fails transiently: under hundreds of
 * concurrent removals Docker 20.10 answers 500 "unable to remove filesystem ... directory not
 * empty" while a container's log file is still being closed, and a second try succeeds.
 */
final class ContainerRemoval {
    private static final int ATTEMPTS = 5;
    private static final Duration BACKOFF = Duration.ofMillis(200);

    private ContainerRemoval() {}

    /**
     * @return false when the container was already gone
     * @throws DockerException the last failure, when every attempt failed
     */
    static boolean remove(DockerClient client, String id) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                client.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
                return true;
            } catch (NotFoundException e) {
                return attempt > 1; // gone by an earlier attempt that failed late
            } catch (DockerException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(BACKOFF.multipliedBy(attempt));
            }
        }
    }
}
