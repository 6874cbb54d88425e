package io.mechanize.cli.bench;

import static java.util.Objects.requireNonNull;

import io.mechanize.cli.client.Cluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * A {@code mechanize worker} in a JVM of its own, as a fleet runs it, so that the bench measures
 * the worker's resident memory alone: in the embedded stack's JVM the broker and the registry
 * would be counted too. Same java and class path as this process; output goes to a log file. Its
 * standard input is a pipe from this process, and the worker stops when the pipe closes: a bench
 * killed even by SIGKILL does not leave its worker running (and the worker removes its containers).
 */
public final class WorkerProcess implements AutoCloseable {
    private static final Duration STOP_GRACE = Duration.ofMinutes(3);  // 500 containers to remove

    private final Process process;
    private final Path log;
    private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Where the worker serves its metrics, once its log has named it. */
    private volatile java.net.URI metricsUri;

    WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * @param jvmOptions options for the worker's JVM, e.g. {@code -Xmx256m}
     * @param workerArgs arguments after {@code worker} (capacity, pool size, group ...)
     */
    public static WorkerProcess start(Cluster cluster, List<String> jvmOptions, List<String> workerArgs) throws IOException {
        requireNonNull(cluster, "cluster is null");
        Path log = Files.createTempFile("mechanize-bench-worker-", ".log");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.mechanize.cli.Main", "worker",
                "--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry", cluster.schemaRegistryUrl(),
                // an ephemeral port on loopback, which the log names: the bench reads the pool's gauge there
                "--metrics-host", "127.0.0.1", "--metrics-port", "0", "--exit-on-stdin-eof"));
        command.addAll(workerArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new WorkerProcess(process, log);
    }

    /**
     * Waits until the worker consumes: its consumer group {@code groupId} is stable with a member
     * (the worker created the topics before it joined).
     *
     * @throws IllegalStateException when the process ends or the timeout passes first; the
     *     message ends with the tail of its log
     */
    public void awaitConsuming(Cluster cluster, String groupId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(cluster.clientProperties())) {
            while (System.nanoTime() < deadline) {
                requireAlive();
                try {
                    ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(groupId)).all().get()
                            .get(groupId);
                    if (group != null && group.groupState() == GroupState.STABLE && !group.members().isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                        throw e;
                    }
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the worker process did not join group " + groupId + " within " + timeout
                + "; its log ends with:\n" + logTail());
    }

    /**
     * @throws IllegalStateException when the worker has exited: its exit code, the signal that
     *     killed it if one did (the JVM reports 128 + the signal's number), and the tail of its log
     */
    public void requireAlive() {
        if (process.isAlive()) {
            return;
        }
        int code = process.exitValue();
        throw new IllegalStateException("the worker process " + process.pid() + " exited with code " + code
                + (code > 128 ? " (killed by signal " + (code - 128) + ")" : "") + "; its log " + log
                + " ends with:\n" + logTail());
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * A gauge of the worker's Prometheus metrics now (say {@code mechanize_worker_pool_ready}), or
     * empty when the worker serves none yet, or not that one.
     */
    public OptionalDouble gauge(String name) {
        if (metricsUri == null) {
            metricsUri = metricsUriFromLog();
            if (metricsUri == null) {
                return OptionalDouble.empty();
            }
        }
        try {
            var response = http.send(java.net.http.HttpRequest.newBuilder(metricsUri).timeout(Duration.ofSeconds(10))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? gaugeValue(response.body(), name) : OptionalDouble.empty();
        } catch (IOException e) {
            return OptionalDouble.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalDouble.empty();
        }
    }

    private java.net.URI metricsUriFromLog() {
        try {
            var m = java.util.regex.Pattern.compile("metrics at (http://\\S+/metrics)").matcher(Files.readString(log));
            return m.find() ? java.net.URI.create(m.group(1)) : null;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The value of the unlabelled sample {@code name} in Prometheus text, or empty. */
    static OptionalDouble gaugeValue(String prometheusText, String name) {
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith(name + " ")) {
                try {
                    return OptionalDouble.of(Double.parseDouble(line.substring(name.length() + 1).trim().split(" ")[0]));
                } catch (NumberFormatException e) {
                    return OptionalDouble.empty();
                }
            }
        }
        return OptionalDouble.empty();
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** The worker JVM's resident set (VmRSS), in MiB; empty when it cannot be read (not Linux, or gone). */
    public OptionalDouble rssMb() {
        OptionalDouble kb = status("VmRSS");
        return kb.isPresent() ? OptionalDouble.of(kb.getAsDouble() / 1024.0) : kb;
    }

    /** A number from the worker's {@code /proc/PID/status} (VmRSS, VmHWM in kB; Threads), or empty. */
    public OptionalDouble status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith(field + ":")) {
                    return OptionalDouble.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone or not Linux
        }
        return OptionalDouble.empty();
    }

    /** SIGTERM: the worker finishes within its grace and removes its containers; then SIGKILL. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
