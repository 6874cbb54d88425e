package io.mechanize.worker;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Worker ids: readable (host and pid) and unique (a random suffix survives pid reuse). */
public final class WorkerIds {
    private static final SecureRandom RANDOM = new SecureRandom();

    private WorkerIds() {}

    public static String generate() {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "host";
            }
        }
        byte[] suffix = new byte[3];
        RANDOM.nextBytes(suffix);
        String clean = host.replaceAll("[^A-Za-z0-9.-]", "-");
        return clean + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(suffix);
    }
}
