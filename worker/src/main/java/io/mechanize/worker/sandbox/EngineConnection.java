package io.mechanize.worker.sandbox;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One connection of {@link EngineSocket} to the Docker engine: over its unix socket, plain TCP or
 * TLS. It is made unconnected, so that whoever waits for the connect can close it; reads and
 * writes may run at once on two threads (a stream's reader and its stdin pump). Buffers are heap
 * buffers.
 */
abstract sealed class EngineConnection implements Closeable {

    static EngineConnection unix(Path socket) throws IOException {
        return new Channel(SocketChannel.open(StandardProtocolFamily.UNIX), UnixDomainSocketAddress.of(socket));
    }

    static EngineConnection tcp(String host, int port) throws IOException {
        SocketChannel channel = SocketChannel.open();
        // a session's command and its reply are a few bytes each way: no waiting for more
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return new Channel(channel, host, port);
    }

    /** Over TLS with {@code context}'s keys and trust, checking that the engine's certificate names {@code host}. */
    static EngineConnection tls(SSLContext context, String host, int port) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.setTcpNoDelay(true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        // docker-java's context enables TLS 1.2 only, and an exec's end of input needs TLS 1.3's
        // half-close (a close_notify after which the engine's output still comes; under 1.2 the
        // peer must close too; dockerd speaks 1.3): the JDK's default protocols and cipher
        // suites, with docker-java's keys and trust
        SSLParameters defaults = defaultParameters();
        parameters.setProtocols(defaults.getProtocols());
        parameters.setCipherSuites(defaults.getCipherSuites());
        socket.setSSLParameters(parameters);
        return new Tls(socket, host, port);
    }

    private static SSLParameters defaultParameters() throws IOException {
        try {
            return SSLContext.getDefault().getDefaultSSLParameters();
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("the JDK has no default TLS context: " + e.getMessage(), e);
        }
    }

    /** Connects (and for TLS, shakes hands); blocks. */
    abstract void connect() throws IOException;

    /** Reads into {@code buffer}'s remaining space: how many bytes, or -1 at the end. */
    abstract int read(ByteBuffer buffer) throws IOException;

    /** Writes all of {@code buffer}'s remaining bytes. */
    abstract void write(ByteBuffer buffer) throws IOException;

    /** Ends what the engine reads from this connection; what it writes still comes. */
    abstract void shutdownOutput() throws IOException;

    /** Closes it, ignoring a failure (the connection is done with either way). */
    final void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            // nothing more to do
        }
    }

    /** A socket channel: the engine's unix socket or plain TCP. */
    static final class Channel extends EngineConnection {
        private final SocketChannel channel;
        private final SocketAddress unixAddress;
        private final String host;
        private final int port;

        private Channel(SocketChannel channel, SocketAddress unixAddress) {
            this.channel = channel;
            this.unixAddress = unixAddress;
            this.host = null;
            this.port = -1;
        }

        private Channel(SocketChannel channel, String host, int port) {
            this.channel = channel;
            this.unixAddress = null;
            this.host = host;
            this.port = port;
        }

        @Override
        void connect() throws IOException {
            // a TCP host is resolved at each connect, as docker-java does
            channel.connect(unixAddress != null ? unixAddress : new InetSocketAddress(host, port));
        }

        @Override
        int read(ByteBuffer buffer) throws IOException {
            return channel.read(buffer);
        }

        @Override
        void write(ByteBuffer buffer) throws IOException {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        @Override
        void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** A TLS socket; its input and output streams are used from their own threads at once. */
    static final class Tls extends EngineConnection {
        private final SSLSocket socket;
        private final String host;
        private final int port;
        private InputStream in;
        private OutputStream out;

        private Tls(SSLSocket socket, String host, int port) {
            this.socket = socket;
            this.host = host;
            this.port = port;
        }

        @Override
        void connect() throws IOException {
            socket.connect(new InetSocketAddress(host, port));
            socket.startHandshake();
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        @Override
        int read(ByteBuffer buffer) throws IOException {
            int n = in.read(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            if (n > 0) {
                buffer.position(buffer.position() + n);
            }
            return n;
        }

        @Override
        void write(ByteBuffer buffer) throws IOException {
            out.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            out.flush();
            buffer.position(buffer.limit());
        }

        @Override
        void shutdownOutput() throws IOException {
            // TLS 1.3's half-close: a close_notify, which the engine reads as the end of its input
            socket.shutdownOutput();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
