package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.transport.SSLConfig;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Docker client of a worker process, built once and shared. The API version is
 * negotiated: the engine is asked for its version over an unversioned request, and the client
 * then speaks exactly that version (Docker 20.10 answers 1.41). {@code DOCKER_API_VERSION}
 * pins it instead. A call must be answered within {@link BoundedEngineTransport#ANSWER_TIMEOUT};
 * a stream (an attach, an exec's output) has no bound ({@link BoundedEngineTransport}).
 */
public final class DockerEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DockerEngine.class);
    public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    /**
     * Connections for streams. Each live workspace holds an attached stream per shell session
     * for its whole life, pooled containers too: 64 connections (for calls and streams alike, as
     * until 2026-11-26) starved creates at about 30 workspaces (requests waited 180 s for a
     * connection). Unix-socket connections are cheap.
     */
    static final int MAX_CONNECTIONS = 2048;
    /** Connections for calls that are answered at once (create, start, inspect, remove). */
    static final int MAX_CONTROL_CONNECTIONS = 512;

    private final DockerClient client;
    private final DockerHttpClient http;
    private final String engineVersion;
    private final String apiVersion;
    /** The engine's socket for attached streams (unix, TCP or TLS; null for npipe): {@link EngineSocket}. */
    private final EngineSocket socket;

    private DockerEngine(DockerClient client, DockerHttpClient http, String engineVersion, String apiVersion,
            EngineSocket socket) {
        this.client = client;
        this.http = http;
        this.engineVersion = engineVersion;
        this.apiVersion = apiVersion;
        this.socket = socket;
    }

    /** Connects to {@code DOCKER_HOST} (default {@value #DEFAULT_DOCKER_HOST}). */
    public static DockerEngine fromEnvironment() {
        String host = System.getenv().getOrDefault("DOCKER_HOST", DEFAULT_DOCKER_HOST);
        return connect(host, System.getenv("DOCKER_API_VERSION"));
    }

    /**
     * @param dockerHost e.g. {@code unix:///var/run/docker.sock} or {@code tcp://127.0.0.1:2375}
     * @param pinnedApiVersion e.g. {@code 1.41}, or null to negotiate
     * @throws IllegalStateException when the engine cannot be reached
     */
    public static DockerEngine connect(String dockerHost, String pinnedApiVersion) {
        requireNonNull(dockerHost, "dockerHost is null");
        String apiVersion = pinnedApiVersion;
        if (apiVersion == null || apiVersion.isBlank()) {
            try (DockerEngine probe = build(dockerHost, RemoteApiVersion.UNKNOWN_VERSION)) {
                apiVersion = probe.client.versionCmd().exec().getApiVersion();
            } catch (RuntimeException e) {
                throw new IllegalStateException("cannot reach the Docker engine at " + dockerHost + ": " + e.getMessage(), e);
            }
        }
        DockerEngine engine = build(dockerHost, RemoteApiVersion.parseConfig(apiVersion));
        Version version = engine.client.versionCmd().exec();
        log.info("Docker engine {} at {}, speaking API {}", version.getVersion(), dockerHost, apiVersion);
        return new DockerEngine(engine.client, engine.http, version.getVersion(), apiVersion, engine.socket);
    }

    private static DockerEngine build(String dockerHost, RemoteApiVersion apiVersion) {
        return build(dockerHost, apiVersion, BoundedEngineTransport.ANSWER_TIMEOUT);
    }

    /** A client whose calls are answered within {@code answerTimeout}, streams excepted ({@link BoundedEngineTransport}). */
    static DockerEngine build(String dockerHost, RemoteApiVersion apiVersion, Duration answerTimeout) {
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost)
                .withApiVersion(apiVersion)
                .build();
        DockerHttpClient http = new BoundedEngineTransport(
                transport(config, MAX_CONTROL_CONNECTIONS).responseTimeout(answerTimeout).build(),
                transport(config, MAX_CONNECTIONS).build(),
                answerTimeout);
        return new DockerEngine(DockerClientImpl.getInstance(config, http), http, "?", apiVersion.getVersion(),
                EngineSocket.forHost(dockerHost, apiVersion.getVersion(), tls(config)));
    }

    /** The keys and trust docker-java reaches the engine with over TLS; null without TLS. */
    private static SSLContext tls(DockerClientConfig config) {
        SSLConfig ssl = config.getSSLConfig();
        if (ssl == null) {
            return null;
        }
        try {
            return ssl.getSSLContext();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the Docker engine's TLS keys and certificates ("
                    + config.getDockerHost() + "): " + e.getMessage(), e);
        }
    }

    private static ZerodepDockerHttpClient.Builder transport(DockerClientConfig config, int maxConnections) {
        return new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(maxConnections)
                .connectionTimeout(Duration.ofSeconds(10));
    }

    DockerClient client() {
        return client;
    }

    /** The first 12 characters of a container's or exec's id, as the engine's own tools show it. */
    static String shortId(String id) {
        return id.substring(0, Math.min(12, id.length()));
    }

    /** The engine's socket for attached streams (unix, TCP or TLS); null for an engine on a named pipe. */
    EngineSocket socket() {
        return socket;
    }

    private volatile String loopbackHosts;
    /** After the engine refused to place the hosts file, not before this ({@link System#nanoTime}). */
    private long nextPlacementNanos = System.nanoTime();
    private static final java.time.Duration PLACEMENT_RETRY = java.time.Duration.ofMinutes(1);

    /**
     * The path on the engine's host of the hosts file that workspaces without network mount
     * ({@link LoopbackHosts}), placed on first use; null when the engine refused to place it (the
     * workspaces then go on the engine's {@code none} network, as before it existed), tried again a
     * minute later at the earliest.
     *
     * @param image an image present on the engine
     */
    String loopbackHosts(String image) {
        String path = loopbackHosts;
        if (path != null) {
            return path;
        }
        synchronized (this) {
            if (loopbackHosts == null && System.nanoTime() - nextPlacementNanos >= 0) {
                try {
                    loopbackHosts = LoopbackHosts.place(client, image);
                } catch (RuntimeException e) {
                    nextPlacementNanos = System.nanoTime() + PLACEMENT_RETRY.toNanos();
                    log.warn("could not place the hosts file for workspaces without network ({}); they go on the"
                            + " engine's none network, and it is tried again in {}", e.toString(), PLACEMENT_RETRY);
                }
            }
            return loopbackHosts;
        }
    }

    /**
     * Forgets {@code path} as the hosts file's (its volume was removed, say), so that the next
     * {@link #loopbackHosts} places it again.
     */
    synchronized void forgetLoopbackHosts(String path) {
        if (path.equals(loopbackHosts)) {
            loopbackHosts = null;
        }
    }

    public String engineVersion() {
        return engineVersion;
    }

    public String apiVersion() {
        return apiVersion;
    }

    @Override
    public void close() {
        try {
            client.close();
            http.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing the Docker client failed", e);
        }
    }
}
