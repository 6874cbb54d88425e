package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Statistics;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the Docker engine itself costs, measured the way a workspace uses it, for a benchmark to
 * compare against: container churn with the workspace's hardening ({@link ContainerSpec} for the
 * default image and limits), {@code docker exec} of {@code true}, and the memory that running
 * containers hold (usage less inactive file cache, as {@code docker stats} shows it).
 */
public final class EngineBaselines {
    private static final CreateWorkspace DEFAULT = defaultWorkspace();

    private static CreateWorkspace defaultWorkspace() {
        io.mechanize.schemas.AvroTrust.trustContractClasses(); // builders deep-copy defaults
        return CreateWorkspace.newBuilder()
            .setTask(TaskSpec.newBuilder().setTaskId("bench").build())
            .setLimits(ResourceLimits.newBuilder().build())
            .setPolicy(SandboxPolicy.newBuilder().build())
            .build();
    }

    private final DockerEngine engine;
    private final Map<String, String> labels;

    /**
     * @param labels the only labels of every container it creates (say {@code mechanize.bench=<id>}),
     *     so {@link #removeAll} finds leftovers and no worker's orphan sweep takes them for its own
     */
    public EngineBaselines(DockerEngine engine, Map<String, String> labels) {
        this.engine = requireNonNull(engine, "engine is null");
        this.labels = Map.copyOf(labels);
    }

    private ContainerSpec spec(String image, String runtime, String name) {
        CreateWorkspace command = CreateWorkspace.newBuilder(DEFAULT).setImage(image)
                .setPolicy(SandboxPolicy.newBuilder().setRuntime(runtime).build()).build();
        // only the benchmark's labels: no mechanize.managed, so no worker's orphan sweep counts them as its own
        return ContainerSpec.forWorkspace(new WorkspaceRef(name, "baseline", "baseline"), command, Map.of())
                .withLabels(labels);
    }

    /**
     * What a churn of containers came to.
     *
     * @param perSecond containers created, started and removed per second
     * @param removalsUnanswered removals the engine did not answer within {@link #REMOVAL_ANSWER_TIMEOUT}
     *     (an engine overloaded by a burst of hundreds): left to it, and to {@link #removeAll}; the
     *     rate includes their wait
     */
    public record Churn(double perSecond, int removalsUnanswered) {}

    /** How long a removal is waited for before it is left to the engine. */
    public static final java.time.Duration REMOVAL_ANSWER_TIMEOUT = ContainerRemoval.ANSWER_TIMEOUT;

    /**
     * Creates, starts and force-removes {@code count} hardened containers, {@code concurrency} at a
     * time.
     *
     * @param runtime the OCI runtime (say {@code runsc}), or null for the engine's default
     */
    public Churn rawChurn(String image, String runtime, int concurrency, int count) throws Exception {
        DockerClient client = engine.client();
        ContainerSpec spec = spec(image, runtime, "raw-churn");
        // the workspaces' own settings, their hosts file (and so no libnetwork endpoint) included
        String hosts = engine.loopbackHosts(image);
        AtomicInteger left = new AtomicInteger(count);
        AtomicInteger unanswered = new AtomicInteger();
        long start = System.nanoTime();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < Math.min(concurrency, count); t++) {
                all.add(threads.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        String id;
                        try (CreateContainerCmd cmd = client.createContainerCmd(image)) {
                            id = spec.applyTo(cmd, hosts).exec().getId();
                        }
                        try {
                            client.startContainerCmd(id).exec();
                        } finally {
                            try {
                                ContainerRemoval.remove(client, id);
                            } catch (EngineSilent e) {
                                unanswered.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        return new Churn(count / ((System.nanoTime() - start) / 1e9), unanswered.get());
    }

    /**
     * Runs {@code true} by {@code docker exec} {@code count} times, one after another, in one
     * hardened container: create the exec, start it attached, wait for its end, read its exit
     * code (what the docker CLI does).
     *
     * @param runtime the OCI runtime (say {@code runsc}), or null for the engine's default
     * @return each exec's wall time in milliseconds
     */
    public double[] dockerExecTrueMillis(String image, String runtime, int count) throws Exception {
        DockerClient client = engine.client();
        String id;
        try (CreateContainerCmd cmd = client.createContainerCmd(image)) {
            id = spec(image, runtime, "exec-baseline").applyTo(cmd, engine.loopbackHosts(image)).exec().getId();
        }
        try {
            client.startContainerCmd(id).exec();
            double[] millis = new double[count];
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                String exec = client.execCreateCmd(id).withCmd("true").withUser(ContainerSpec.SANDBOX_USER)
                        .withAttachStdout(true).withAttachStderr(true).exec().getId();
                client.execStartCmd(exec).exec(new ResultCallback.Adapter<Frame>()).awaitCompletion(30, TimeUnit.SECONDS);
                Long exit = client.inspectExecCmd(exec).exec().getExitCodeLong();
                millis[i] = (System.nanoTime() - t0) / 1e6;
                if (exit == null || exit != 0) {
                    throw new IllegalStateException("docker exec true exited with " + exit);
                }
            }
            return millis;
        } finally {
            ContainerRemoval.remove(client, id);
        }
    }

    /**
     * Memory each of {@code containerIds} holds now (usage less inactive file cache, as
     * {@code docker stats} shows it), by container id; a container that is gone is left out.
     */
    public Map<String, Long> memoryBytes(List<String> containerIds) throws Exception {
        Map<String, Long> out = new java.util.concurrent.ConcurrentHashMap<>();
        forEachStats(containerIds, (c, s) -> {
            if (s.getMemoryStats() != null && s.getMemoryStats().getUsage() != null) {
                Map<String, Long> detail = s.getMemoryStats().getStats() == null ? Map.of()
                        : statsMap(s.getMemoryStats().getStats());
                long inactive = detail.getOrDefault("total_inactive_file", detail.getOrDefault("inactive_file", 0L));
                out.put(c, s.getMemoryStats().getUsage() - inactive);
            }
        });
        return out;
    }

    /**
     * A container's CPU time so far, as the engine's stats give it, and when the engine read it.
     *
     * @param cpuNanos CPU time of all the container's processes, in nanoseconds
     * @param readAt when the engine took the sample
     */
    public record CpuSample(long cpuNanos, java.time.Instant readAt) {
        /** Milliseconds of CPU per second between {@code earlier} and this sample. */
        public double msPerSecondSince(CpuSample earlier) {
            double seconds = java.time.Duration.between(earlier.readAt, readAt).toNanos() / 1e9;
            if (seconds <= 0) {
                throw new IllegalArgumentException("the samples were read at " + earlier.readAt + " and " + readAt
                        + ": no time between them");
            }
            return (cpuNanos - earlier.cpuNanos) / 1e6 / seconds;
        }
    }

    /**
     * The CPU time each of {@code containerIds} has used so far, by container id; a container that
     * is gone, or whose stats carry no CPU figure, is left out.
     */
    public Map<String, CpuSample> cpu(List<String> containerIds) throws Exception {
        Map<String, CpuSample> out = new java.util.concurrent.ConcurrentHashMap<>();
        forEachStats(containerIds, (c, s) -> {
            if (s.getCpuStats() != null && s.getCpuStats().getCpuUsage() != null
                    && s.getCpuStats().getCpuUsage().getTotalUsage() != null && s.getRead() != null) {
                out.put(c, new CpuSample(s.getCpuStats().getCpuUsage().getTotalUsage(),
                        java.time.Instant.parse(s.getRead())));
            }
        });
        return out;
    }

    /** One stats sample of each container, taken in parallel, handed to {@code each} (never with null). */
    private void forEachStats(List<String> containerIds, java.util.function.BiConsumer<String, Statistics> each)
            throws Exception {
        DockerClient client = engine.client();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (String c : containerIds) {
                all.add(threads.submit(() -> {
                    var callback = new ResultCallback.Adapter<Statistics>() {
                        volatile Statistics stats;

                        @Override
                        public void onNext(Statistics s) {
                            stats = s;
                        }
                    };
                    try {
                        client.statsCmd(c).withNoStream(true).exec(callback).awaitCompletion(30, TimeUnit.SECONDS);
                    } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
                        return null;
                    }
                    if (callback.stats != null) {
                        each.accept(c, callback.stats);
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
    }

    private static Map<String, Long> statsMap(com.github.dockerjava.api.model.StatsConfig stats) {
        Map<String, Long> m = new HashMap<>();
        if (stats.getTotalInactiveFile() != null) {
            m.put("total_inactive_file", stats.getTotalInactiveFile());
        }
        if (stats.getInactiveFile() != null) {
            m.put("inactive_file", stats.getInactiveFile());
        }
        return m;
    }

    /**
     * How many of {@code containerIds} run under each OCI runtime, as the engine reports it (its
     * default runtime by name, {@code runc} on a stock engine); a container that is gone is left out.
     */
    public Map<String, Integer> runtimes(List<String> containerIds) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (String id : containerIds) {
            try {
                var host = engine.client().inspectContainerCmd(id).exec().getHostConfig();
                String runtime = host == null || host.getRuntime() == null ? "unknown" : host.getRuntime();
                counts.merge(runtime, 1, Integer::sum);
            } catch (com.github.dockerjava.api.exception.NotFoundException e) {
                // removed meanwhile
            }
        }
        return counts;
    }

    /** The ids of the running containers that carry all of {@code selector}'s labels. */
    public Set<String> running(Map<String, String> selector) {
        Set<String> ids = new HashSet<>();
        engine.client().listContainersCmd().withLabelFilter(selector).exec().forEach(c -> ids.add(c.getId()));
        return ids;
    }

    /** Force-removes every container with all of {@code selector}'s labels; returns how many. */
    public int removeAll(Map<String, String> selector) {
        int removed = 0;
        for (Container c : engine.client().listContainersCmd().withShowAll(true).withLabelFilter(selector).exec()) {
            try {
                if (ContainerRemoval.remove(engine.client(), c.getId())) {
                    removed++;
                }
            } catch (DockerException e) {
                // the engine keeps failing on it: nothing more to do here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return removed;
    }
}
