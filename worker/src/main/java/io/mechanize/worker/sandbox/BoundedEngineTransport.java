package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The worker's transport to the Docker engine. A call the engine answers at once (create, start,
 * inspect, an exec's create, remove, list) must be answered within a bound; a stream (an attach,
 * an exec's start, an archive, stats, logs, events, a pull) lasts as long as what it carries, so
 * it goes through a second client that has no bound.
 *
 * <p>Docker 20.10.24 can deadlock in libnetwork (see {@link ContainerRemoval}): from then on
 * creates, starts, inspects and execs block for good. Without a bound a workspace's command
 * would hold its lane forever and never be answered; with it, the command fails with an error
 * that says which call went unanswered, its result is published, and the connection is freed.
 * The request itself stays with the engine: a container it creates late carries the worker's
 * labels, and the orphan sweep removes it.
 */
final class BoundedEngineTransport implements DockerHttpClient {
    /**
     * Far above a healthy engine's answer under a 500-container burst (a start then takes tens of
     * seconds), far below "never".
     */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(180);

    /** Paths (after the API version) whose answer is a stream; everything else is bounded. */
    private static final Pattern STREAM = Pattern.compile("(?:/v[0-9.]+)?/(?:exec/[^/]+/start"
            + "|containers/[^/]+/(?:attach|archive|stats|logs|wait|export)"
            + "|events|build|images/create|images/load|images/get|images/[^/]+/(?:get|push))");

    private final DockerHttpClient bounded;
    private final DockerHttpClient streams;
    private final Duration answerTimeout;

    /**
     * @param bounded a client whose response timeout is {@code answerTimeout}
     * @param streams a client with no response timeout
     */
    BoundedEngineTransport(DockerHttpClient bounded, DockerHttpClient streams, Duration answerTimeout) {
        this.bounded = requireNonNull(bounded, "bounded is null");
        this.streams = requireNonNull(streams, "streams is null");
        this.answerTimeout = requireNonNull(answerTimeout, "answerTimeout is null");
    }

    static boolean isStream(String path) {
        return STREAM.matcher(withoutQuery(path)).matches();
    }

    private static String withoutQuery(String path) {
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    @Override
    public Response execute(Request request) {
        if (isStream(request.path())) {
            return streams.execute(request);
        }
        try {
            return bounded.execute(request);
        } catch (RuntimeException e) {
            if (timedOut(e)) {
                throw new EngineSilent("the Docker engine did not answer " + request.method() + " "
                        + withoutQuery(request.path()) + " within " + answerTimeout.toSeconds()
                        + " s (is it wedged?); the request is left with the engine");
            }
            throw e;
        }
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        try {
            bounded.close();
        } finally {
            streams.close();
        }
    }
}
