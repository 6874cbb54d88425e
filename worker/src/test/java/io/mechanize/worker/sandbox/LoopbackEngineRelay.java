package io.mechanize.worker.sandbox;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local Docker engine on a loopback TCP port, as {@code dockerd -H tcp://127.0.0.1:PORT} or a
 * DinD sidecar on {@code tcp://localhost:2375} would offer it: every connection is relayed byte for
 * byte to the engine's unix socket, half-closes included. It listens on loopback only.
 */
final class LoopbackEngineRelay implements AutoCloseable {
    private final Path engineSocket;
    private final ServerSocketChannel server;
    private final AtomicInteger connections = new AtomicInteger();

    LoopbackEngineRelay() throws IOException {
        String host = System.getenv().getOrDefault("DOCKER_HOST", DockerEngine.DEFAULT_DOCKER_HOST);
        URI uri = URI.create(host);
        if (!"unix".equals(uri.getScheme())) {
            throw new IllegalStateException("the relay needs the engine on a unix socket, not " + host);
        }
        engineSocket = Path.of(uri.getPath());
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().name("engine-relay").start(this::acceptAll);
    }

    /** {@code tcp://127.0.0.1:PORT}, for {@link DockerEngine#connect}. */
    String dockerHost() throws IOException {
        return "tcp://127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** Connections relayed so far. */
    int connections() {
        return connections.get();
    }

    private void acceptAll() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                SocketChannel engine = SocketChannel.open(StandardProtocolFamily.UNIX);
                engine.connect(UnixDomainSocketAddress.of(engineSocket));
                connections.incrementAndGet();
                AtomicInteger open = new AtomicInteger(2);
                Thread.ofVirtual().start(() -> copy(client, engine, open));
                Thread.ofVirtual().start(() -> copy(engine, client, open));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Copies until {@code from} ends, then ends {@code to}'s input; the last direction to end closes both. */
    private static void copy(SocketChannel from, SocketChannel to, AtomicInteger open) {
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // one side went away: the other is closed below
            open.set(1);
        } finally {
            if (open.decrementAndGet() == 0) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
