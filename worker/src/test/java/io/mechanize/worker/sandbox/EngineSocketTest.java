package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.core.LocalDirectorySSLConfig;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's own attach over the engine's unix socket (and over plain TCP), against a stand-in
 * engine on a socket in a temporary directory (or on a loopback port) that answers as Docker 20.10
 * does. The real engine is in the sandbox's
 * integration tests, where every workspace's session is attached this way.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class EngineSocketTest {
    @TempDir
    Path dir;
    private Path socketPath;
    private ServerSocketChannel server;

    @BeforeEach
    void listen() throws IOException {
        socketPath = dir.resolve("docker.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    /** Moves the stand-in engine to a loopback TCP port, as {@code dockerd -H tcp://127.0.0.1:PORT}. */
    private EngineSocket listenOnLoopbackTcp() throws IOException {
        server.close();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        return EngineSocket.forHost("tcp://127.0.0.1:" + port, "1.41", null);
    }

    /** What a stream's output listener saw. */
    static final class Seen implements EngineSocket.Output {
        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch ended = new CountDownLatch(1);

        @Override
        public void stdout(byte[] bytes) {
            events.add("out:" + new String(bytes, StandardCharsets.UTF_8));
        }

        @Override
        public void stderr(byte[] bytes) {
            events.add("err:" + new String(bytes, StandardCharsets.UTF_8));
        }

        @Override
        public void ended(String why) {
            events.add("ended:" + why);
            ended.countDown();
        }
    }

    static byte[] frame(int type, String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuffer frame = ByteBuffer.allocate(8 + bytes.length);
        frame.put((byte) type).put(new byte[3]).putInt(bytes.length).put(bytes);
        return frame.array();
    }

    static String readHeaders(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (EngineSocket.headerEnd(buffer.array(), buffer.position()) < 0) {
            if (channel.read(buffer) < 0) {
                break;
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
    }

    static void write(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @Test
    void attachesUpgradesAndCarriesBothWays() throws Exception {
        CompletableFuture<String> request = new CompletableFuture<>();
        CompletableFuture<String> stdinSeen = new CompletableFuture<>();
        Thread engine = Thread.ofVirtual().start(() -> {
            try (SocketChannel channel = server.accept()) {
                request.complete(readHeaders(channel));
                // the upgrade and the first frame in one write: bytes past the headers are the stream's
                write(channel, concat(("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                        + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                        frame(1, "hello")));
                ByteBuffer in = ByteBuffer.allocate(64);
                while (in.position() < "echo hi\n".length() && channel.read(in) >= 0) {
                    // what the session sent
                }
                stdinSeen.complete(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
                byte[] split = concat(frame(2, "oops"), frame(1, "after"));
                write(channel, java.util.Arrays.copyOfRange(split, 0, 5));
                Thread.sleep(50);
                write(channel, java.util.Arrays.copyOfRange(split, 5, split.length));
            } catch (Exception e) {
                request.completeExceptionally(e);
            }
        });
        Seen seen = new Seen();
        QueueInputStream stdin = new QueueInputStream();
        EngineSocket.Stream stream = new EngineSocket(socketPath, "1.41")
                .attach("c0ffee", stdin, seen, Duration.ofSeconds(5));
        stdin.offer("echo hi\n".getBytes(StandardCharsets.UTF_8));

        assertThat(request.get(5, TimeUnit.SECONDS))
                .startsWith("POST /v1.41/containers/c0ffee/attach?stream=1&stdin=1&stdout=1&stderr=1&logs=0 HTTP/1.1\r\n")
                .contains("Connection: Upgrade\r\n", "Upgrade: tcp\r\n");
        assertThat(stdinSeen.get(5, TimeUnit.SECONDS)).isEqualTo("echo hi\n");
        assertThat(seen.ended.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(seen.events).containsExactly("out:hello", "err:oops", "out:after", "ended:it exited");
        assertThat(stream.ended()).isTrue();
        engine.join();
        stdin.close();
    }

    @Test
    void startsAnExecWithItsStreamsAttached() throws Exception {
        CompletableFuture<String> request = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel channel = server.accept()) {
                String head = readHeaders(channel);
                ByteBuffer body = ByteBuffer.allocate(256);
                int end = head.indexOf("\r\n\r\n") + 4;
                body.put(head.substring(end).getBytes(StandardCharsets.US_ASCII));
                while (body.position() < "{\"Detach\":false,\"Tty\":false}".length() && channel.read(body) >= 0) {
                    // the rest of the body
                }
                request.complete(head.substring(0, end) + new String(body.array(), 0, body.position(),
                        StandardCharsets.US_ASCII));
                write(channel, concat("HTTP/1.1 101 UPGRADED\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                        frame(1, "ready")));
            } catch (IOException e) {
                request.completeExceptionally(e);
            }
        });
        Seen seen = new Seen();
        new EngineSocket(socketPath, "1.41").startExec("e1e1", new QueueInputStream(), seen, Duration.ofSeconds(5), false);
        assertThat(request.get(5, TimeUnit.SECONDS))
                .startsWith("POST /v1.41/exec/e1e1/start HTTP/1.1\r\n")
                .contains("Content-Type: application/json\r\n", "Content-Length: 28\r\n", "Upgrade: tcp\r\n")
                .endsWith("\r\n\r\n{\"Detach\":false,\"Tty\":false}");
        assertThat(seen.ended.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(seen.events).containsExactly("out:ready", "ended:it exited");
    }

    /** A stand-in engine that answers an exec start, then reads its stdin: what came before the end, or before {@code patience}. */
    private CompletableFuture<String> execReadingStdin(Duration patience) {
        CompletableFuture<String> input = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel channel = server.accept()) {
                String head = readHeaders(channel);
                write(channel, "HTTP/1.1 101 UPGRADED\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                // the body (28 bytes) may have come with the headers or may still come
                int bodyRead = head.length() - (head.indexOf("\r\n\r\n") + 4);
                ByteBuffer in = ByteBuffer.allocate(256);
                long deadline = System.nanoTime() + patience.toNanos();
                channel.configureBlocking(false);
                boolean eof = false;
                while (!eof && System.nanoTime() < deadline) {
                    int n = channel.read(in);
                    eof = n < 0;
                    if (n == 0) {
                        Thread.sleep(5);
                    }
                }
                String all = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
                String stdin = all.substring(Math.max(0, 28 - bodyRead));
                input.complete((eof ? "EOF after " : "open after ") + stdin);
                channel.configureBlocking(true);
                write(channel, frame(1, "done"));
            } catch (Exception e) {
                input.completeExceptionally(e);
            }
        });
        return input;
    }

    /** A stdin that has {@code text} and then nothing more. */
    private static QueueInputStream endedStdin(String text) {
        QueueInputStream stdin = new QueueInputStream();
        stdin.offer(text.getBytes(StandardCharsets.UTF_8));
        stdin.close();
        return stdin;
    }

    @Test
    void anExecsInputEndsWhenItsStdinDoes() throws Exception {
        CompletableFuture<String> input = execReadingStdin(Duration.ofSeconds(5));
        execWhoseInputEnds(new EngineSocket(socketPath, "1.41"), input, Duration.ofSeconds(5));
    }

    /**
     * Starts an exec whose stdin is one line and then ends, and checks that the stand-in engine
     * read the line and the end ({@code input}: "EOF after " and what it read) and that what it
     * wrote back came through.
     */
    private static void execWhoseInputEnds(EngineSocket engine, CompletableFuture<String> input, Duration patience)
            throws Exception {
        Seen seen = new Seen();
        engine.startExec("e2e2", endedStdin("line one\n"), seen, Duration.ofSeconds(5), true);

        assertThat(input.get(patience.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("EOF after line one\n");
        assertThat(seen.ended.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(seen.events).containsExactly("out:done", "ended:it exited");
    }

    @Test
    void overPlainTcpAnExecCarriesBothWaysAndItsInputEnds() throws Exception {
        EngineSocket engine = listenOnLoopbackTcp();
        CompletableFuture<String> input = execReadingStdin(Duration.ofSeconds(5));
        execWhoseInputEnds(engine, input, Duration.ofSeconds(5));
    }

    @Test
    void overTlsAnExecCarriesBothWaysAndItsInputEnds() throws Exception {
        TestTls tls = TestTls.create(dir);
        try (SSLServerSocket engineSide = (SSLServerSocket) tls.engine().getServerSocketFactory().createServerSocket()) {
            engineSide.setNeedClientAuth(true);
            engineSide.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<String> input = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (Socket channel = engineSide.accept()) {
                    InputStream in = channel.getInputStream();
                    ByteArrayOutputStream head = new ByteArrayOutputStream();
                    while (EngineSocket.headerEnd(head.toByteArray(), head.size()) < 0) {
                        head.write(in.read());
                    }
                    in.readNBytes("{\"Detach\":false,\"Tty\":false}".length());
                    channel.getOutputStream().write("HTTP/1.1 101 UPGRADED\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    // the client's close_notify ends the input; the connection still carries output
                    input.complete("EOF after " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    channel.getOutputStream().write(frame(1, "done"));
                } catch (Exception e) {
                    input.completeExceptionally(e);
                }
            });
            SSLContext client = new LocalDirectorySSLConfig(tls.certPath().toString()).getSSLContext();
            EngineSocket engine = EngineSocket.forHost("tcp://127.0.0.1:" + engineSide.getLocalPort(), "1.41", client);
            execWhoseInputEnds(engine, input, Duration.ofSeconds(10));
        }
    }

    @Test
    void anEngineWhoseCertificateNamesAnotherHostIsRefused() throws Exception {
        TestTls tls = TestTls.create(dir);
        try (SSLServerSocket engineSide = (SSLServerSocket) tls.engine().getServerSocketFactory().createServerSocket()) {
            engineSide.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread.ofVirtual().start(() -> {
                try (Socket channel = engineSide.accept()) {
                    channel.getInputStream().read();
                } catch (IOException e) {
                    // the client gave up on the handshake
                }
            });
            SSLContext client = new LocalDirectorySSLConfig(tls.certPath().toString()).getSSLContext();
            // the certificate is for 127.0.0.1
            EngineSocket engine = EngineSocket.forHost("tcp://localhost:" + engineSide.getLocalPort(), "1.41", client);
            assertThatThrownBy(() -> engine.attach("c0ffee", new QueueInputStream(), new Seen(), Duration.ofSeconds(5)))
                    .isInstanceOf(WorkspaceException.class)
                    .hasMessageContaining("through localhost:" + engineSide.getLocalPort() + " (TLS) failed")
                    .hasMessageContaining("SSLHandshakeException");
        }
    }

    @Test
    void aSessionsInputStaysOpenWhenItsStdinHasNothingMore() throws Exception {
        CompletableFuture<String> input = execReadingStdin(Duration.ofMillis(500));
        Seen seen = new Seen();
        EngineSocket.Stream stream = new EngineSocket(socketPath, "1.41")
                .startExec("e3e3", endedStdin("line one\n"), seen, Duration.ofSeconds(5), false);

        assertThat(input.get(5, TimeUnit.SECONDS)).isEqualTo("open after line one\n");
        assertThat(seen.ended.await(5, TimeUnit.SECONDS)).isTrue();
        stream.close();
    }

    @Test
    void anEngineThatRefusesTheAttachIsAnErrorWithItsMessage() {
        Thread.ofVirtual().start(() -> {
            try (SocketChannel channel = server.accept()) {
                readHeaders(channel);
                String body = "{\"message\":\"No such container: c0ffee\"}\n";
                write(channel, ("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the test's assertion reports it
            }
        });
        Seen seen = new Seen();
        assertThatThrownBy(() -> new EngineSocket(socketPath, "1.41")
                .attach("c0ffee", new QueueInputStream(), seen, Duration.ofSeconds(5)))
                .isInstanceOf(WorkspaceException.class)
                .hasMessageContaining("attaching to container c0ffee failed")
                .hasMessageContaining("404 Not Found")
                .hasMessageContaining("No such container: c0ffee");
        assertThat(seen.events).isEmpty();
    }

    @Test
    void anEngineThatDoesNotAnswerIsGivenUpOnAfterTheTimeout() throws Exception {
        CompletableFuture<SocketChannel> accepted = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                accepted.complete(server.accept());
            } catch (IOException e) {
                accepted.completeExceptionally(e);
            }
        });
        long start = System.nanoTime();
        assertThatThrownBy(() -> new EngineSocket(socketPath, "1.41")
                .attach("c0ffee", new QueueInputStream(), new Seen(), Duration.ofMillis(300)))
                .isInstanceOf(WorkspaceException.class)
                .hasMessageContaining("did not complete within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        // the worker closed its end: the engine's side reads the end of the stream
        try (SocketChannel channel = accepted.get(5, TimeUnit.SECONDS)) {
            assertThat(readHeaders(channel)).startsWith("POST /v1.41/containers/c0ffee/attach");
            ByteBuffer rest = ByteBuffer.allocate(4096);
            int n;
            while ((n = channel.read(rest)) > 0) {
                rest.clear();
            }
            assertThat(n).isEqualTo(-1);
        }
    }

    @Test
    void closingTheStreamEndsItAsClosedNotFailed() throws Exception {
        CountDownLatch upgraded = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            try (SocketChannel channel = server.accept()) {
                readHeaders(channel);
                write(channel, "HTTP/1.1 101 UPGRADED\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                upgraded.countDown();
                channel.read(ByteBuffer.allocate(64)); // until the worker goes
            } catch (IOException e) {
                // the worker closed it
            }
        });
        Seen seen = new Seen();
        EngineSocket.Stream stream = new EngineSocket(socketPath, "1.41")
                .attach("c0ffee", new QueueInputStream(), seen, Duration.ofSeconds(5));
        assertThat(upgraded.await(5, TimeUnit.SECONDS)).isTrue();
        stream.close();
        assertThat(seen.ended.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(seen.events).hasSize(1);
        assertThat(seen.events.getFirst()).isIn("ended:its stream was closed", "ended:it exited");
    }

    @Test
    void framesAreSplitByStreamAndATruncatedOneEndsTheStream() throws IOException {
        Seen seen = new Seen();
        byte[] bytes = concat(frame(1, "a"), frame(2, "b"), frame(0, "ignored"), frame(1, ""),
                java.util.Arrays.copyOf(frame(1, "cut short"), 11));
        String why = EngineSocket.Frames.copy(new DataInputStream(new ByteArrayInputStream(bytes)), seen);
        assertThat(why).isEqualTo("its stream ended inside a frame");
        assertThat(seen.events).containsExactly("out:a", "err:b", "out:");
    }

    @Test
    void aStreamWithoutFramesIsRawStdout() throws IOException {
        Seen seen = new Seen();
        byte[] bytes = "plain text from a tty\n".getBytes(StandardCharsets.UTF_8);
        String why = EngineSocket.Frames.copy(new DataInputStream(new ByteArrayInputStream(bytes)), seen);
        assertThat(why).isEqualTo("it exited");
        assertThat(String.join("", seen.events.stream().map(e -> e.substring(4)).toList()))
                .isEqualTo("plain text from a tty\n");
    }

    @Test
    void aFrameLargerThanAnyTheEngineWritesIsAnError() {
        byte[] header = ByteBuffer.allocate(8).put((byte) 1).put(new byte[3]).putInt(Integer.MAX_VALUE).array();
        assertThatThrownBy(() -> EngineSocket.Frames.copy(new DataInputStream(new ByteArrayInputStream(header)), new Seen()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("a frame of 2147483647 bytes");
    }

    @Test
    void aUnixTcpOrTlsHostHasASocketAndANamedPipeHasNone() throws Exception {
        assertThat(EngineSocket.forHost("unix:///var/run/docker.sock", "1.41", null)).isNotNull();
        assertThat(EngineSocket.forHost("tcp://127.0.0.1:2375", "1.41", null)).isNotNull();
        assertThat(EngineSocket.forHost("tcp://localhost", "1.41", null)).isNotNull();
        assertThat(EngineSocket.forHost("tcp://127.0.0.1:2376", "1.41", javax.net.ssl.SSLContext.getDefault())).isNotNull();
        assertThat(EngineSocket.forHost("npipe:////./pipe/docker_engine", "1.41", null)).isNull();
        assertThat(EngineSocket.forHost("not a uri", "1.41", null)).isNull();
    }

    @Test
    void aTcpEngineThatIsNotThereIsAnErrorNamingIt() throws Exception {
        EngineSocket engine = listenOnLoopbackTcp();
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        server.close(); // nothing listens there now
        assertThatThrownBy(() -> engine.attach("c0ffee", new QueueInputStream(), new Seen(), Duration.ofSeconds(5)))
                .isInstanceOf(WorkspaceException.class)
                .hasMessageContaining("attaching to container c0ffee through 127.0.0.1:" + port + " failed")
                .hasMessageContaining("Connection refused");
    }
}
