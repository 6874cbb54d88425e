package io.mechanize.worker.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * The local Docker engine on a loopback TCP port, as {@code dockerd -H tcp://127.0.0.1:PORT} (or
 * with {@code --tlsverify}, over TLS with client certificates) would offer it: every connection is
 * relayed byte for byte to the engine's unix socket, half-closes included. It listens on loopback
 * only.
 */
final class LoopbackEngineRelay implements AutoCloseable {
    private final Path engineSocket;
    private final ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();

    /** Plain TCP. */
    LoopbackEngineRelay() throws IOException {
        this(null);
    }

    /** Over TLS with {@code tls}'s key and trust, asking the client for its certificate; plain TCP when null. */
    LoopbackEngineRelay(SSLContext tls) throws IOException {
        String host = System.getenv().getOrDefault("DOCKER_HOST", DockerEngine.DEFAULT_DOCKER_HOST);
        URI uri = URI.create(host);
        if (!"unix".equals(uri.getScheme())) {
            throw new IllegalStateException("the relay needs the engine on a unix socket, not " + host);
        }
        engineSocket = Path.of(uri.getPath());
        if (tls != null) {
            SSLServerSocket secure = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
            secure.setNeedClientAuth(true);
            server = secure;
        } else {
            server = new ServerSocket();
        }
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().name("engine-relay").start(this::acceptAll);
    }

    /** {@code tcp://127.0.0.1:PORT}, for {@link DockerEngine#connect}. */
    String dockerHost() {
        return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    /** Connections relayed so far. */
    int connections() {
        return connections.get();
    }

    private void acceptAll() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                SocketChannel engine = SocketChannel.open(StandardProtocolFamily.UNIX);
                engine.connect(UnixDomainSocketAddress.of(engineSocket));
                connections.incrementAndGet();
                AtomicInteger open = new AtomicInteger(2);
                InputStream fromClient = client.getInputStream();
                OutputStream toClient = client.getOutputStream();
                Thread.ofVirtual().start(() -> relay(() -> {
                    byte[] buffer = new byte[16 * 1024];
                    int n;
                    while ((n = fromClient.read(buffer)) >= 0) {
                        ByteBuffer out = ByteBuffer.wrap(buffer, 0, n);
                        while (out.hasRemaining()) {
                            engine.write(out);
                        }
                    }
                    engine.shutdownOutput();
                }, client, engine, open));
                Thread.ofVirtual().start(() -> relay(() -> {
                    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
                    while (engine.read(buffer) >= 0) {
                        toClient.write(buffer.array(), 0, buffer.position());
                        toClient.flush();
                        buffer.clear();
                    }
                    client.shutdownOutput(); // over TLS 1.3, a close_notify
                }, client, engine, open));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private interface Copy {
        void run() throws IOException;
    }

    /** Runs one direction's copy; the last direction to end (or the first to fail) closes both sides. */
    private static void relay(Copy copy, Socket client, SocketChannel engine, AtomicInteger open) {
        try {
            copy.run();
        } catch (IOException e) {
            open.set(1); // one side went away: close both
        } finally {
            if (open.decrementAndGet() == 0) {
                try {
                    client.close();
                } catch (IOException e) {
                    // nothing more to do
                }
                try {
                    engine.close();
                } catch (IOException e) {
                    // nothing more to do
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
