package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import io.mechanize.worker.workspace.WorkspaceException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Attached streams to the Docker engine over its unix socket, plain TCP or TLS, opened by the
 * worker itself. An attach is an HTTP request that the engine upgrades to a raw connection
 * ({@code 101 UPGRADED}); a virtual thread reads the container's multiplexed output frames from it
 * and another writes what the session sends. Through docker-java every attached stream holds two
 * platform threads for its whole life (its reader and its stdin pump), and every workspace and
 * every warm container keeps one: about 400 threads at 100 workspaces and 1 300 at 500, a sixth
 * of the worker's memory. The evaluation's execs are streamed the same way, so that none of them starts
 * platform threads either. Control calls and archives stay on docker-java.
 */
final class EngineSocket {
    /** What an attach's upgrade answer may take at most before the stream is given up on. */
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;
    private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.[01] (\\d{3})[^\r\n]*");
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");
    private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern API_VERSION = Pattern.compile("\\d+\\.\\d+");

    /** Docker's ports for an engine over plain TCP and over TLS when {@code tcp://HOST} names none. */
    static final int DEFAULT_TCP_PORT = 2375;
    static final int DEFAULT_TLS_PORT = 2376;

    /** The engine's unix socket; null over TCP. */
    private final Path socket;
    /** The engine's host and port over TCP (resolved at each connect, as docker-java does). */
    private final String host;
    private final int port;
    /** The keys and trust of an engine over TLS; null over plain TCP or the unix socket. */
    private final SSLContext tls;
    /** The request paths' prefix, e.g. {@code /v1.41}; empty when the version is not known. */
    private final String prefix;

    EngineSocket(Path socket, String apiVersion) {
        this(requireNonNull(socket, "socket is null"), null, -1, null, apiVersion);
    }

    /** @param tls the keys and trust of an engine over TLS; null over plain TCP */
    EngineSocket(String host, int port, SSLContext tls, String apiVersion) {
        this(null, requireNonNull(host, "host is null"), port, tls, apiVersion);
    }

    private EngineSocket(Path socket, String host, int port, SSLContext tls, String apiVersion) {
        this.socket = socket;
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.prefix = apiVersion != null && API_VERSION.matcher(apiVersion).matches() ? "/v" + apiVersion : "";
    }

    /**
     * @param dockerHost e.g. {@code unix:///var/run/docker.sock} or {@code tcp://localhost:2375}
     * @param tls the keys and trust docker-java reaches the engine with over TLS
     *     ({@code DOCKER_TLS_VERIFY}, {@code DOCKER_CERT_PATH}); null without TLS
     * @return the engine's socket for a {@code unix://} or {@code tcp://} host, or null for any
     *     other (npipe)
     */
    static EngineSocket forHost(String dockerHost, String apiVersion, SSLContext tls) {
        URI uri;
        try {
            uri = URI.create(dockerHost);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if ("unix".equals(uri.getScheme()) && uri.getPath() != null && !uri.getPath().isEmpty()) {
            return new EngineSocket(Path.of(uri.getPath()), apiVersion);
        }
        if ("tcp".equals(uri.getScheme()) && uri.getHost() != null) {
            int defaultPort = tls == null ? DEFAULT_TCP_PORT : DEFAULT_TLS_PORT;
            return new EngineSocket(uri.getHost(), uri.getPort() < 0 ? defaultPort : uri.getPort(), tls, apiVersion);
        }
        return null;
    }

    /** Where the engine is, for errors: its socket's path or {@code host:port}. */
    private String where() {
        return socket != null ? socket.toString() : host + ":" + port + (tls != null ? " (TLS)" : "");
    }

    /** Where the output of an attached stream goes; called on its reader's virtual thread. */
    interface Output {
        void stdout(byte[] bytes);

        void stderr(byte[] bytes);

        /** The stream ended or failed (once). */
        void ended(String why);
    }

    /**
     * Attaches to the main process of container {@code containerId} (stdin, stdout and stderr,
     * from now on: no logs) and starts reading its output into {@code output} and writing
     * {@code stdin} to it. Attach before the container starts, and nothing it prints is missed.
     *
     * @throws WorkspaceException when the engine refuses the attach (no such container, say) or
     *     does not answer within {@code timeout}
     */
    Stream attach(String containerId, QueueInputStream stdin, Output output, Duration timeout) throws WorkspaceException {
        requireNonNull(containerId, "containerId is null");
        return open("/containers/" + containerId + "/attach?stream=1&stdin=1&stdout=1&stderr=1&logs=0", "text/plain",
                new byte[0], "create", "attaching to container " + DockerEngine.shortId(containerId), stdin, output,
                timeout, false);
    }

    /**
     * Starts exec {@code execId} (created with stdout and stderr attached, and stdin when it is to
     * be written) and streams it as {@link #attach} does.
     *
     * @param endInput whether the process's stdin ends when {@code stdin} does (the connection's
     *     write side is shut, as {@code docker exec -i} does at the end of its input); a session's
     *     stdin does not end while it lives
     */
    Stream startExec(String execId, QueueInputStream stdin, Output output, Duration timeout, boolean endInput)
            throws WorkspaceException {
        requireNonNull(execId, "execId is null");
        return open("/exec/" + execId + "/start", "application/json",
                "{\"Detach\":false,\"Tty\":false}".getBytes(StandardCharsets.US_ASCII),
                "action", "starting exec " + DockerEngine.shortId(execId), stdin, output, timeout, endInput);
    }

    /**
     * @param stage the {@link WorkspaceException}'s stage when it fails
     * @param what what it is, for its errors ("attaching to container ...")
     */
    private Stream open(String path, String contentType, byte[] body, String stage, String what, QueueInputStream stdin,
            Output output, Duration timeout, boolean endInput) throws WorkspaceException {
        EngineConnection channel;
        try {
            channel = socket != null ? EngineConnection.unix(socket)
                    : tls != null ? EngineConnection.tls(tls, host, port) : EngineConnection.tcp(host, port);
        } catch (IOException e) {
            throw new WorkspaceException(stage, "cannot open a socket to the Docker engine: " + e.getMessage(), e);
        }
        byte[] head = ("POST " + prefix + path + " HTTP/1.1\r\n"
                + "Host: docker\r\nContent-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\n"
                + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        FutureTask<byte[]> handshake = new FutureTask<>(() -> {
            channel.connect();
            write(channel, head);
            write(channel, body);
            return upgrade(channel);
        });
        Thread.ofVirtual().name("mz-upgrade").start(handshake);
        byte[] leftover;
        try {
            leftover = handshake.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            channel.closeQuietly();
            throw new WorkspaceException(stage, what + " did not complete within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            channel.closeQuietly();
            Throwable cause = e.getCause();
            if (cause instanceof WorkspaceException refused) {
                throw new WorkspaceException(stage, what + " failed: " + refused.getMessage(), refused);
            }
            throw new WorkspaceException(stage, what + " through " + where() + " failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.closeQuietly();
            throw new WorkspaceException(stage, "interrupted while " + what, e);
        }
        Stream stream = new Stream(channel, output, stdin, endInput);
        Thread.ofVirtual().name("mz-stream-out").start(() -> stream.read(leftover));
        Thread.ofVirtual().name("mz-stream-in").start(stream::pump);
        return stream;
    }

    /**
     * Reads the engine's answer to an attach up to the end of its headers.
     *
     * @return bytes read past the headers (the stream's first bytes, if any)
     * @throws WorkspaceException when the answer is not an upgrade, with the engine's message
     */
    static byte[] upgrade(EngineConnection channel) throws IOException, WorkspaceException {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_HEADER_BYTES);
        int end;
        while ((end = headerEnd(buffer.array(), buffer.position())) < 0) {
            if (!buffer.hasRemaining()) {
                throw new WorkspaceException("create", "the engine's answer has more than " + MAX_HEADER_BYTES
                        + " bytes of headers");
            }
            if (channel.read(buffer) < 0) {
                throw new EOFException("the engine closed the connection before it answered ("
                        + buffer.position() + " bytes)");
            }
        }
        String headers = new String(buffer.array(), 0, end, StandardCharsets.ISO_8859_1);
        byte[] rest = Arrays.copyOfRange(buffer.array(), end + 4, buffer.position());
        Matcher status = STATUS.matcher(headers);
        if (!status.find()) {
            throw new WorkspaceException("create", "the engine's answer is not HTTP: "
                    + headers.lines().findFirst().orElse(""));
        }
        int code = Integer.parseInt(status.group(1));
        if (code == 101 || code == 200) {
            return rest;
        }
        throw new WorkspaceException("create", "the engine answered " + status.group().strip()
                + errorMessage(channel, headers, rest));
    }

    /** ": MESSAGE" from an error answer's JSON body, or "" when it has none. */
    private static String errorMessage(EngineConnection channel, String headers, byte[] rest) throws IOException {
        Matcher length = CONTENT_LENGTH.matcher(headers);
        if (!length.find()) {
            return "";
        }
        int size = (int) Math.min(Long.parseLong(length.group(1)), MAX_ERROR_BODY_BYTES);
        ByteBuffer body = ByteBuffer.allocate(Math.max(size, rest.length));
        body.put(rest);
        while (body.position() < size && channel.read(body) >= 0) {
            // the rest of the body
        }
        Matcher message = MESSAGE.matcher(new String(body.array(), 0, body.position(), StandardCharsets.UTF_8));
        return message.find() ? ": " + message.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : "";
    }

    /** Index of the blank line ending the headers in {@code bytes[0, length)}, or -1. */
    static int headerEnd(byte[] bytes, int length) {
        for (int i = 0; i + 3 < length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static void write(EngineConnection channel, byte[] bytes) throws IOException {
        channel.write(ByteBuffer.wrap(bytes));
    }

    /** An attached stream: its socket, its reader and its stdin pump. */
    static final class Stream implements java.io.Closeable {
        /**
         * The reader's buffer, held for the stream's life (a frame larger than it is read
         * straight into its payload): small, because a worker holds a stream per workspace and
         * per warm container.
         */
        private static final int READ_BUFFER_BYTES = 4096;
        private final EngineConnection channel;
        private final Output output;
        private final QueueInputStream stdin;
        /** Shut the connection's write side when stdin ends: the process's stdin then ends too. */
        private final boolean endInput;
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile boolean closed;

        Stream(EngineConnection channel, Output output, QueueInputStream stdin, boolean endInput) {
            this.channel = channel;
            this.output = requireNonNull(output, "output is null");
            this.stdin = requireNonNull(stdin, "stdin is null");
            this.endInput = endInput;
        }

        /** Reads the stream's frames into the output until it ends. */
        void read(byte[] leftover) {
            InputStream socketInput = new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] bytes, int offset, int length) throws IOException {
                    // the channel itself, not a stream from Channels: reads and the pump's writes
                    // must not wait on one lock
                    return length == 0 ? 0 : channel.read(ByteBuffer.wrap(bytes, offset, length));
                }
            };
            InputStream in = new SequenceInputStream(new ByteArrayInputStream(leftover), socketInput);
            try {
                end(Frames.copy(new DataInputStream(new BufferedInputStream(in, READ_BUFFER_BYTES)), output));
            } catch (IOException e) {
                end(closed ? "its stream was closed" : "its stream failed: " + e);
            } finally {
                channel.closeQuietly();
                stdin.close(); // and the pump ends with it
            }
        }

        /** Writes what the session sends to the process's stdin, until it ends or the stream does. */
        void pump() {
            // no buffer of its own: a thousand idle streams would hold a thousand
            try {
                byte[] chunk;
                while ((chunk = stdin.next()) != null) {
                    write(channel, chunk);
                }
                if (endInput) {
                    channel.shutdownOutput();
                }
            } catch (IOException e) {
                // the stream is gone; its reader reports how
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void end(String why) {
            if (ended.compareAndSet(false, true)) {
                output.ended(why);
            }
        }

        boolean ended() {
            return ended.get();
        }

        @Override
        public void close() {
            closed = true;
            channel.closeQuietly();
        }
    }

    /** The engine's multiplexed stream format (a container without a TTY). */
    static final class Frames {
        /** The engine writes a frame per write of the process, 32 KiB at most; anything near this is not a frame. */
        static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;

        private Frames() {
        }

        /**
         * Copies frames ({@code [type, 0, 0, 0, size (4 bytes, big-endian)]} then size bytes;
         * type 1 stdout, 2 stderr) from {@code in} to {@code output} until {@code in} ends. A
         * header that is not one (a container with a TTY) makes the rest raw stdout, as
         * docker-java takes it.
         *
         * @return why the stream ended
         */
        static String copy(DataInputStream in, Output output) throws IOException {
            byte[] header = new byte[8];
            while (true) {
                int first = in.read();
                if (first < 0) {
                    return "it exited";
                }
                header[0] = (byte) first;
                try {
                    in.readFully(header, 1, 7);
                } catch (EOFException e) {
                    return "its stream ended inside a frame's header";
                }
                if (first > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
                    output.stdout(header.clone());
                    copyRaw(in, output);
                    return "it exited";
                }
                int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                        | (header[7] & 0xff);
                if (size < 0 || size > MAX_FRAME_BYTES) {
                    throw new IOException("a frame of " + Integer.toUnsignedString(size) + " bytes (at most "
                            + MAX_FRAME_BYTES + ")");
                }
                byte[] payload = new byte[size];
                try {
                    in.readFully(payload);
                } catch (EOFException e) {
                    return "its stream ended inside a frame";
                }
                switch (first) {
                    case 1 -> output.stdout(payload);
                    case 2 -> output.stderr(payload);
                    default -> { } // stdin is never sent back
                }
            }
        }

        private static void copyRaw(InputStream in, Output output) throws IOException {
            byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (n > 0) {
                    output.stdout(Arrays.copyOf(buffer, n));
                }
            }
        }
    }
}
