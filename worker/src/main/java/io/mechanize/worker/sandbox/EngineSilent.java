package io.mechanize.worker.sandbox;

import com.github.dockerjava.api.exception.DockerException;

/**
 * No answer from the Docker engine in time: the request may still complete, or hang for good (a
 * wedged engine, see {@link ContainerRemoval}). Asking again would only queue behind it.
 */
final class EngineSilent extends DockerException {
    EngineSilent(String message) {
        super(message, 504);
    }
}
