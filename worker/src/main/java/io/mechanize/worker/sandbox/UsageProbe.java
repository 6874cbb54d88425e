package io.mechanize.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container's usage probe ({@code usage-probe.sh}) in one long-lived exec, for actions that
 * do not run in a shell session (a shell session measures its commands itself): reads the
 * cgroup's counters before and after each action, samples memory and pids while it runs, and
 * reports the files changed under /workspace since the last measured action.
 */
final class UsageProbe implements AttachedProcess.Listener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UsageProbe.class);
    /** Each of created, modified and deleted lists at most this many paths ({@code observe.sh}). */
    static final int MAX_PATHS = 1000;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(20);
    private static final int MAX_REPLY_BYTES = 8 * 1024 * 1024;

    private final String idPrefix = UUID.randomUUID().toString().substring(0, 8);
    private AttachedProcess process;
    private long counter;
    // guarded by this
    private final MarkerSplitter split = new MarkerSplitter();
    private ByteArrayOutputStream reply = new ByteArrayOutputStream();
    private CompletableFuture<String> answer = new CompletableFuture<>();
    private boolean ended;

    static UsageProbe start(DockerClient client, String containerId) throws WorkspaceException {
        UsageProbe probe = new UsageProbe();
        probe.process = AttachedProcess.start(client, containerId,
                List.of("bash", "--noprofile", "--norc", "-c", "eval \"$MZ_PROBE\"", "mz-probe"),
                Map.of("MZ_PROBE", Scripts.OBSERVE + Scripts.USAGE_PROBE), probe);
        return probe;
    }

    synchronized boolean ended() {
        return ended;
    }

    /**
     * Starts a window; returns its id, or null when the probe did not answer.
     *
     * @param baselineFirst list /workspace afresh first: files changed outside any action since
     */
    String begin(boolean baselineFirst) {
        String id = idPrefix + "-" + (++counter);
        return ask("begin", id, baselineFirst ? " fresh" : "") == null ? null : id;
    }

    UsageReport end(String id) {
        String text = ask("end", id, "");
        return text == null ? UsageReport.unmeasured() : parse(text);
    }

    private String ask(String verb, String id, String flags) {
        CompletableFuture<String> pending;
        synchronized (this) {
            reply = new ByteArrayOutputStream();
            split.expect(id);
            answer = new CompletableFuture<>();
            pending = answer;
            if (ended) {
                return null;
            }
        }
        process.send((verb + " " + id + flags + "\n").getBytes(StandardCharsets.US_ASCII));
        try {
            pending.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            synchronized (this) {
                return reply.toString(StandardCharsets.UTF_8);
            }
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static UsageReport parse(String text) {
        long[] u = new long[5];
        long workspaceBytes = 0;
        boolean changesKnown = false;
        boolean measured = false;
        List<String> created = new ArrayList<>();
        List<String> modified = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("U ")) {
                String[] f = line.substring(2).trim().split(" ");
                for (int i = 0; i < Math.min(5, f.length); i++) {
                    u[i] = parseLong(f[i]);
                }
                measured = true;
            } else if (line.startsWith("W ")) {
                workspaceBytes = parseLong(line.substring(2).trim());
                changesKnown = true;
            } else if (line.startsWith("N ")) {
                log.warn("measuring the action: {}", line.substring(2));
            } else if (line.length() > 2 && line.charAt(1) == '\t') {
                String path = line.substring(2);
                switch (line.charAt(0)) {
                    case 'C' -> created.add(path);
                    case 'M' -> modified.add(path);
                    case 'D' -> deleted.add(path);
                    default -> { } // not ours
                }
            }
        }
        return new UsageReport(u[0], u[1], (int) Math.min(Integer.MAX_VALUE, u[2]), Math.max(0, u[3]), Math.max(0, u[4]),
                workspaceBytes, created, modified, deleted, changesKnown, measured);
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public synchronized void stdout(byte[] bytes) {
        String payload = split.feed(bytes, (b, n) -> {
            if (reply.size() + n <= MAX_REPLY_BYTES) {
                reply.write(b, 0, n);
            }
        });
        if (payload != null) {
            answer.complete(payload);
        }
    }

    @Override
    public void stderr(byte[] bytes) {
        // the probe's own errors (an unreadable cgroup file) show as zeros in the report
    }

    @Override
    public synchronized void ended(String why) {
        ended = true;
        answer.completeExceptionally(new IllegalStateException("the usage probe ended: " + why));
    }

    @Override
    public void close() {
        process.close();
    }
}
