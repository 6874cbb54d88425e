package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BoundedEngineTransportTest {
    /** An "engine" on loopback that accepts every connection and never answers. */
    private ServerSocket silentEngine;
    private final List<Socket> accepted = new ArrayList<>();

    @BeforeEach
    void startSilentEngine() throws IOException {
        silentEngine = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!silentEngine.isClosed()) {
                try {
                    Socket s = silentEngine.accept();
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stopSilentEngine() throws IOException {
        silentEngine.close();
        synchronized (accepted) {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private DockerEngine engine(Duration answerTimeout) {
        return DockerEngine.build("tcp://127.0.0.1:" + silentEngine.getLocalPort(),
                RemoteApiVersion.parseConfig("1.41"), answerTimeout);
    }

    @Test
    void aCallTheEngineNeverAnswersFailsAfterTheBoundNamingTheCall() {
        try (DockerEngine engine = engine(Duration.ofSeconds(1))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> engine.client().startContainerCmd("c0ffee").exec())
                    .isInstanceOf(EngineSilent.class)
                    .hasMessageContaining("did not answer POST /v1.41/containers/c0ffee/start within 1 s");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(10));
        }
    }

    @Test
    void aStreamIsNotCutByTheBound() throws Exception {
        try (DockerEngine engine = engine(Duration.ofMillis(500))) {
            CompletableFuture<Void> attach = CompletableFuture.runAsync(() -> {
                try {
                    engine.client().attachContainerCmd("c0ffee").withStdOut(true).withFollowStream(true)
                            .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>())
                            .awaitCompletion();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // four times the bound: a bounded call would have failed by now
            Thread.sleep(2000);
            assertThat(attach).isNotDone();
            attach.cancel(true);
        }
    }

    @Test
    void streamsAndCallsAreToldApartByPath() {
        assertThat(BoundedEngineTransport.isStream("/v1.41/exec/abc/start")).isTrue();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/abc/attach?stream=1&stdin=1")).isTrue();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/abc/archive?path=%2Fworkspace")).isTrue();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/abc/stats?stream=false")).isTrue();
        assertThat(BoundedEngineTransport.isStream("/v1.41/images/create?fromImage=x")).isTrue();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/create")).isFalse();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/abc/start")).isFalse();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/abc/json")).isFalse();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/abc/exec")).isFalse();
        assertThat(BoundedEngineTransport.isStream("/v1.41/exec/abc/json")).isFalse();
        assertThat(BoundedEngineTransport.isStream("/v1.41/containers/abc?force=true&v=true")).isFalse();
        assertThat(BoundedEngineTransport.isStream("/containers/json?all=1")).isFalse();
    }

    @Test
    void otherFailuresPassThroughUnchanged() {
        RuntimeException refused = new RuntimeException(new java.net.ConnectException("Connection refused"));
        DockerHttpClient failing = new DockerHttpClient() {
            @Override
            public Response execute(Request request) {
                throw refused;
            }

            @Override
            public void close() {}
        };
        var transport = new BoundedEngineTransport(failing, failing, Duration.ofSeconds(1));
        assertThatThrownBy(() -> transport.execute(DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET).path("/v1.41/containers/json").build()))
                .isSameAs(refused);
    }
}
