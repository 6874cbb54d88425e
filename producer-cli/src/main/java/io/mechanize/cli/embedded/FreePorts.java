package io.mechanize.cli.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Picks ports that are free on 127.0.0.1 now (the caller retries if one is taken before it binds). */
final class FreePorts {

    private FreePorts() {
    }

    /** A free loopback port other than those in {@code exclude}. */
    static int pick(int... exclude) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port = bindEphemeral();
            if (!contains(exclude, port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port on 127.0.0.1 after 20 attempts");
    }

    private static int bindEphemeral() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
        }
    }

    private static boolean contains(int[] ports, int port) {
        for (int p : ports) {
            if (p == port) {
                return true;
            }
        }
        return false;
    }
}
