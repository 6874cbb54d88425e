package io.mechanize.cli.bench;

import static java.util.Objects.requireNonNull;

import io.mechanize.cli.client.Cluster;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CommandRejected;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.avro.WorkspaceFailed;
import io.mechanize.worker.sandbox.EngineBaselines;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark, phase by phase, on one engine in one run: engine baselines (raw hardened
 * container churn, {@code docker exec true}, measured by {@link #baselines} before any worker
 * runs); a warm-up (not counted) and a full warm pool; throughput of whole simulations; N idle
 * workspaces held open (host memory, worker RSS); submit-to-result latency of one-action
 * batches and the per-action overhead by batch differencing on those workspaces; workspace-ready
 * latency of creations paced so that the warm pool keeps up; and N creations at once again, each
 * with a small snapshot to unpack.
 */
public final class BenchRunner {
    private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(15);
    private static final int EXEC_SAMPLES = 200;
    private static final int LATENCY_SAMPLES = 100;
    private static final int DIFF_ROUNDS = 7;
    private static final int DIFF_ACTIONS = 100;
    /** File actions cost tens of milliseconds, not a few: fewer of them per round. */
    private static final int DIFF_FILE_ACTIONS = 20;
    /** TEST_RUN actions per round: each starts pytest, a few hundred milliseconds. */
    private static final int TEST_RUNS = 3;
    /**
     * The long command of phase 4, and how much of its start and of its end the CPU samples leave
     * out (the engine may answer a stats request only at its next sample, a second or two later).
     */
    private static final Duration LONG_COMMAND = Duration.ofSeconds(12);
    private static final Duration LONG_COMMAND_SKIP = Duration.ofSeconds(2);
    private static final Duration LONG_COMMAND_TAIL = Duration.ofSeconds(4);
    private static final int PACED_CREATES = 20;
    private static final Duration PACE = Duration.ofMillis(150);
    /** Files in the snapshot of phase 6's workspaces. */
    private static final int SNAPSHOT_FILES = 40;
    /** Simulations run and thrown away before the throughput phase: the JIT compiles the hot paths. */
    private static final int WARM_UP_MAX = 20;
    private static final Duration POOL_FILL_TIMEOUT = Duration.ofMinutes(3);
    /** The worker's gauge of its warm pool's containers ready to be taken. */
    private static final String POOL_READY = "mechanize_worker_pool_ready";

    /** The engine's own figures, taken on a quiet engine: no worker or pool running yet. */
    /** @param churnCpu where the machine's CPU went during the churn, per container ({@link CpuSplit#perUnit}) */
    public record Baselines(EngineBaselines.Churn churn, double[] execMillis, Map<String, Object> churnCpu) {}

    private final Cluster cluster;
    private final EngineBaselines engine;
    private final BenchOptions options;
    private final WorkerProcess worker;
    private final Map<String, String> poolSelector;
    private final int poolSize;
    /** Whether the pool was seen ready through the worker's gauge (else: its running containers). */
    private boolean poolReadyFromGauge;
    /** Containers of the workspaces this run holds open (phase 3 and 4). */
    private final Set<String> openContainers = new HashSet<>();
    private final PrintStream console;
    private final CpuSplit cpu;
    private final String runId = "bench-" + Long.toHexString(System.nanoTime());

    /**
     * @param worker the worker under test when the bench started it (its RSS is measured), else null
     * @param poolSelector the labels of that worker's pooled containers (to wait until the pool is
     *     full), or null
     */
    public BenchRunner(Cluster cluster, EngineBaselines engine, BenchOptions options, WorkerProcess worker,
            Map<String, String> poolSelector, int poolSize, CpuSplit cpu, PrintStream console) {
        this.cluster = requireNonNull(cluster, "cluster is null");
        this.cpu = requireNonNull(cpu, "cpu is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.options = requireNonNull(options, "options is null");
        this.worker = worker;
        this.poolSelector = poolSelector;
        this.poolSize = poolSize;
        this.console = requireNonNull(console, "console is null");
    }

    /** Phase 1: raw hardened container churn and {@code docker exec true}, N at a time. */
    public static Baselines baselines(EngineBaselines engine, BenchOptions options, CpuSplit cpu, PrintStream console)
            throws Exception {
        int n = options.numConcurrent();
        int m = options.simulations();
        console.printf("phase 1/6: raw container churn, %d hardened containers, %d at a time, runtime %s%n", m, n,
                options.runtime() == null ? "the engine's default" : options.runtime());
        CpuSplit.Reading before = cpu.read(-1);
        EngineBaselines.Churn churn = engine.rawChurn(options.image(), options.runtime(), n, m);
        Map<String, Object> churnCpu = CpuSplit.perUnit(before, cpu.read(-1), m,
                Runtime.getRuntime().availableProcessors());
        console.printf("phase 1/6: CPU per container: %s%n", CpuSplit.describe(churnCpu));
        if (churn.removalsUnanswered() > 0) {
            console.printf("phase 1/6: the engine did not answer %d of the %d removals within %d s; left to it%n",
                    churn.removalsUnanswered(), m, EngineBaselines.REMOVAL_ANSWER_TIMEOUT.toSeconds());
        }
        console.printf("phase 1/6: docker exec true x%d%n", EXEC_SAMPLES);
        return new Baselines(churn, engine.dockerExecTrueMillis(options.image(), options.runtime(), EXEC_SAMPLES),
                churnCpu);
    }

    public Map<String, Object> run(Baselines baselines) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        int n = options.numConcurrent();
        int m = options.simulations();
        r.put("num_concurrent", n);
        r.put("simulations", m);
        r.put("actions_per_sim", options.actionsPerSim());
        r.put("cores", Runtime.getRuntime().availableProcessors());
        r.put("runtime", options.runtime() == null ? "default" : options.runtime());

        double churn = baselines.churn().perSecond();
        double[] exec = baselines.execMillis();
        double execP50 = Stats.quantile(exec, 0.5);

        try (BenchClient client = new BenchClient(cluster, runId)) {
            int warmUp = Math.min(WARM_UP_MAX, n);
            console.printf("warm-up: %d simulations, not counted; then the warm pool fills%n", warmUp);
            throughput(client, warmUp, "w");
            awaitFullPool();
            console.printf("phase 2/6: throughput, %d simulations (create, %d x true, evaluate, close), %d at a time%n",
                    m, options.actionsPerSim(), n);
            Throughput t = throughput(client, m, "t");
            r.put("throughput_sims_per_s", Stats.round(t.simsPerSecond));
            r.put("raw_container_churn_per_s", Stats.round(churn));
            r.put("raw_churn_removals_unanswered", baselines.churn().removalsUnanswered());
            r.put("throughput_vs_raw_churn", Stats.round(t.simsPerSecond / churn));
            // until the last close only, with the pool's refills still owed (the figure before 2026-11-27)
            r.put("throughput_to_last_result_sims_per_s", Stats.round(t.toLastResultPerSecond));
            r.put("pool_refills_owed_at_last_result", t.refillsOwed);
            // M at once with capacity N: most of this is waiting for a free slot
            r.put("workspace_ready_backlog_ms", Stats.summary(t.readyMs, 0.5, 0.95, 0.99));
            // each true's execution_time_ms while the two cores are saturated: mostly waiting for a core
            r.put("action_time_under_load_ms", Stats.summary(t.actionMs, 0.5, 0.95));
            r.put("success_rate", Stats.round((double) t.succeeded / m));
            r.put("failures", t.problems.stream().limit(10).toList());
            // where the machine's CPU went, per churned container and per simulation: the ratio above
            // is a ratio of these totals when both phases keep the cores busy
            r.put("cpu_jiffies_per_churn_container", baselines.churnCpu());
            r.put("cpu_jiffies_per_simulation", t.cpu);
            // said now, so that a run the engine stops later (it can deadlock at 500) keeps the costliest phase
            console.printf("phase 2/6: %.2f sims/s with the pool's refills (%.2f of churn at %.2f/s), %.2f to the last"
                    + " close (%d refills owed), %d of %d succeeded%n", t.simsPerSecond, t.simsPerSecond / churn, churn,
                    t.toLastResultPerSecond, t.refillsOwed, t.succeeded, m);
            console.printf("phase 2/6: CPU per simulation: %s (per churned container: %s)%n",
                    CpuSplit.describe(t.cpu), baselines.churnCpu().get("total"));

            console.printf("phase 3/6: %d workspaces created at once (the worker's capacity), held open idle%n", n);
            awaitFullPool();
            Opened opened = openIdle(client, n, "i", BenchClient.create("bench-idle", options));
            List<String> idle = opened.ids();
            List<String> containers = opened.containers();
            openContainers.addAll(containers);
            r.put("workspace_ready_ms", Stats.summary(opened.readyMs(), 0.5, 0.95, 0.99));
            r.put("workspace_ready_from_pool_fraction", Stats.round((double) opened.fromPool() / n));
            r.put("workspaces_opened_at_once", opened.readyMs().size());
            r.put("workspace_open_failures", opened.failed().stream().limit(10).toList());
            // what the engine says the workspaces run under, not what the bench asked for
            r.put("workspace_runtimes", engine.runtimes(containers));
            Thread.sleep(2000);
            Map<String, Long> mem = engine.memoryBytes(containers);
            r.put("host_mem_per_workspace_mb", meanMb(mem, containers.size(), "idle workspaces"));
            r.put("idle_workspaces_measured", mem.size());
            r.put("worker_rss_mb", workerRssMb());
            if (options.profileMemory()) {
                r.put("memory_profile", memoryProfile(mem));
            }

            console.printf("phase 4/6: submit-to-result of one-action batches x%d; per-action overhead by batch"
                    + " differencing (%d vs 1 actions) x%d; file reads (%d vs 0 after a write) x%d; pytest runs (%d vs 0) x%d%n",
                    LATENCY_SAMPLES, DIFF_ACTIONS + 1, DIFF_ROUNDS, DIFF_FILE_ACTIONS, DIFF_ROUNDS, TEST_RUNS, DIFF_ROUNDS);
            awaitFullPool(); // no refill of phase 3's burst competes with the latencies
            List<Double> s2r = new ArrayList<>();
            for (int i = 0; i < LATENCY_SAMPLES; i++) {
                s2r.add(roundTrip(client, idle.get(i % idle.size()), 1));
            }
            List<Double> perAction = new ArrayList<>();
            String ws = idle.getFirst();
            for (int i = 0; i < DIFF_ROUNDS; i++) {
                double one = roundTrip(client, ws, 1);
                double many = roundTrip(client, ws, DIFF_ACTIONS + 1);
                perAction.add((many - one) / DIFF_ACTIONS);
            }
            double fine = Stats.quantile(perAction, 0.5);
            List<Double> perFileAction = new ArrayList<>();
            for (int i = 0; i < DIFF_ROUNDS; i++) {
                double one = roundTrip(client, ws, BenchClient.fileReads(0));
                double many = roundTrip(client, ws, BenchClient.fileReads(DIFF_FILE_ACTIONS));
                perFileAction.add((many - one) / DIFF_FILE_ACTIONS);
            }
            // a TEST_RUN of a one-test pytest module: pytest's own start dominates; what the worker
            // adds around it (an exec or a session round trip, the report's read) is the rest
            List<Double> perTestRun = new ArrayList<>();
            for (int i = 0; i < DIFF_ROUNDS; i++) {
                double one = roundTrip(client, ws, BenchClient.testRuns(0));
                double many = roundTrip(client, ws, BenchClient.testRuns(TEST_RUNS));
                perTestRun.add((many - one) / TEST_RUNS);
            }
            // that workspace now has the helper its session keeps for file actions running
            Map<String, Long> usedMem = engine.memoryBytes(List.of(opened.containerOf().get(ws)));
            Double afterFileActions = meanMb(usedMem, 1, "the workspace after file actions");
            List<Double> waiting = longCommandCpu(client, idle, opened.containerOf());
            r.put("long_command_container_cpu_ms_per_s", waiting.isEmpty() ? null : Stats.summary(waiting, 0.5, 0.95));
            r.put("long_command_containers_measured", waiting.size());
            r.put("submit_to_result_ms", Stats.summary(s2r, 0.5, 0.95));
            // the same conditions as the docker exec baseline: one at a time on a quiet engine
            r.put("action_overhead_ms", Stats.summary(perAction, 0.5, 0.95));
            r.put("docker_exec_ms", Stats.summary(java.util.Arrays.stream(exec).boxed().toList(), 0.5, 0.95));
            r.put("action_overhead_vs_docker_exec", Stats.round(execP50 / fine));
            r.put("file_action_ms", Stats.summary(perFileAction, 0.5, 0.95));
            r.put("test_run_pytest_ms", Stats.summary(perTestRun, 0.5, 0.95));
            r.put("host_mem_workspace_after_file_actions_mb", afterFileActions);
            closeAll(client, idle);
            openContainers.clear();

            console.printf("phase 5/6: workspace ready, %d creations %d ms apart%n", PACED_CREATES, PACE.toMillis());
            awaitFullPool();
            Paced paced = paced(client);
            r.put("workspace_ready_paced_ms", Stats.summary(paced.readyMs, 0.5, 0.95, 0.99));
            r.put("workspace_ready_paced_from_pool_fraction",
                    Stats.round((double) paced.fromPool / Math.max(1, paced.readyMs.size())));

            // the same burst as phase 3, but each workspace gets files to unpack (and a pristine
            // copy to keep): an empty snapshot needs no command in a fresh container, these do
            console.printf("phase 6/6: %d workspaces created at once, each with a snapshot of %d files%n", n,
                    SNAPSHOT_FILES);
            awaitFullPool();
            Opened withSnapshot = openIdle(client, n, "s",
                    BenchClient.create("bench-snapshot", options, BenchClient.smallRepository(SNAPSHOT_FILES)));
            openContainers.addAll(withSnapshot.containers());
            r.put("workspace_ready_with_snapshot_ms", Stats.summary(withSnapshot.readyMs(), 0.5, 0.95, 0.99));
            r.put("workspace_ready_with_snapshot_from_pool_fraction", Stats.round((double) withSnapshot.fromPool() / n));
            r.put("snapshot_files", SNAPSHOT_FILES);
            r.put("workspace_open_failures_with_snapshot", withSnapshot.failed().stream().limit(10).toList());
            closeAll(client, withSnapshot.ids());
            openContainers.clear();
        }
        r.put("worker_rss_mb_end", workerRssMb());
        r.put("pool_ready_seen_by", poolReadyFromGauge ? "worker_gauge" : "running_containers");
        return r;
    }

    /**
     * @param simsPerSecond simulations over the time until the last one closed and the warm pool
     *     was full again: the phase starts with a full pool, so it ends with one, and every
     *     simulation's container was created and started inside the timing, as in the churn baseline
     * @param toLastResultPerSecond simulations over the time until the last one closed only
     * @param refillsOwed the pool's containers missing when the last simulation closed
     * @param cpu where the machine's CPU went over the timing of {@code simsPerSecond}, per simulation
     */
    private record Throughput(double simsPerSecond, double toLastResultPerSecond, int refillsOwed,
            List<Long> readyMs, int fromPool, List<Long> actionMs, int succeeded, List<String> problems,
            Map<String, Object> cpu) {}

    private Throughput throughput(BenchClient client, int m, String prefix) throws Exception {
        List<String> ids = new ArrayList<>();
        CpuSplit.Reading cpuAtStart = cpu.read(workerPid());
        long start = System.nanoTime();
        for (int i = 0; i < m; i++) {
            String ws = runId + "-" + prefix + i;
            ids.add(ws);
            client.send(ws, BenchClient.create("bench", options));
            client.send(ws, BenchClient.trues(options.actionsPerSim()));
            client.send(ws, BenchClient.evaluate());
            client.send(ws, BenchClient.closeCommand());
        }
        client.flush();
        Set<String> done = new HashSet<>();
        Map<String, Integer> good = new HashMap<>();
        List<Long> ready = new ArrayList<>();
        List<Long> actions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int fromPool = 0;
        long last = start;
        long deadline = start + PHASE_TIMEOUT.toNanos();
        while (done.size() < m && System.nanoTime() < deadline) {
            BenchClient.Arrival a = next(client, Duration.ofSeconds(1));
            if (a == null) {
                continue;
            }
            SimulationEvent e = a.event();
            String ws = e.getWorkspaceId();
            switch (e.getBody()) {
                case WorkspaceCreated c -> {
                    ready.add(c.getReadyMs());
                    fromPool += c.getFromPool() ? 1 : 0;
                    good.merge(ws, 1, Integer::sum);
                }
                case ActionResult ar -> {
                    actions.add(ar.getExecutionTimeMs());
                    if (ar.getSuccess()) {
                        good.merge(ws, 1, Integer::sum);
                    } else {
                        problems.add(ws + ": action failed: " + ar.getErrorMessage() + " " + ar.getStderr());
                    }
                }
                case EvaluationMetrics em -> good.merge(ws, em.getPassed() ? 1 : 0, Integer::sum);
                case WorkspaceClosed wc -> good.merge(ws, 1, Integer::sum);
                case WorkspaceFailed f -> problems.add(ws + ": failed: " + f.getReason());
                case CommandRejected cr -> problems.add(ws + ": rejected: " + cr.getReason());
                default -> { }
            }
            if (e.getCommandSeq() == 3 && done.add(ws)) {
                last = a.arrivedNanos();
            }
        }
        int expected = options.actionsPerSim() + 3;
        int succeeded = (int) ids.stream().filter(ws -> done.contains(ws) && good.getOrDefault(ws, 0) == expected).count();
        if (done.size() < m) {
            problems.add((m - done.size()) + " simulations unfinished after " + PHASE_TIMEOUT);
        }
        int owed = 0;
        long end = last;
        boolean refilled = done.size() == m && poolSelector != null && poolSize > 0;
        // the window ends at the last close, or once the pool has refilled what the phase took
        CpuSplit.Reading cpuAtEnd = refilled ? null : cpu.read(workerPid());
        if (refilled) {
            owed = Math.max(0, poolSize - poolReady());
            long full = poolFullAt(Duration.ofMillis(100));
            if (full < 0) {
                problems.add("the warm pool was not full again within " + POOL_FILL_TIMEOUT + " of the last close");
                full = System.nanoTime();
            }
            cpuAtEnd = cpu.read(workerPid());
            end = Math.max(last, full);
        }
        return new Throughput(done.size() / ((end - start) / 1e9), done.size() / ((last - start) / 1e9), owed, ready,
                fromPool, actions, succeeded, problems,
                CpuSplit.perUnit(cpuAtStart, cpuAtEnd, Math.max(1, done.size()),
                        Runtime.getRuntime().availableProcessors()));
    }

    /** Workspaces opened at once: their ids, containers, ready latencies and how many came from the pool. */
    private record Opened(List<String> ids, List<String> containers, Map<String, String> containerOf, List<Long> readyMs,
            int fromPool, List<String> failed) {}

    /** Sends {@code n} creations of {@code create} at once and waits for their answers. */
    private Opened openIdle(BenchClient client, int n, String prefix, CreateWorkspace create) throws Exception {
        List<String> ids = new ArrayList<>();
        List<String> containers = new ArrayList<>();
        Map<String, String> containerOf = new HashMap<>();
        List<Long> readyMs = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        int fromPool = 0;
        for (int i = 0; i < n; i++) {
            String ws = runId + "-" + prefix + i;
            ids.add(ws);
            client.send(ws, create);
        }
        client.flush();
        Set<String> answered = new HashSet<>();
        long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
        while (answered.size() < n && System.nanoTime() < deadline) {
            BenchClient.Arrival a = next(client, Duration.ofSeconds(1));
            if (a == null) {
                continue;
            }
            if (a.event().getBody() instanceof WorkspaceCreated c) {
                answered.add(a.event().getWorkspaceId());
                containers.add(c.getContainerId());
                containerOf.put(a.event().getWorkspaceId(), c.getContainerId());
                readyMs.add(c.getReadyMs());
                fromPool += c.getFromPool() ? 1 : 0;
            } else if (ids.contains(a.event().getWorkspaceId()) && answered.add(a.event().getWorkspaceId())) {
                failed.add(a.event().getWorkspaceId() + " did not open: " + a.event().getBody());
            }
        }
        if (answered.size() < n) {
            failed.add((n - answered.size()) + " of " + n + " workspaces gave no answer within " + PHASE_TIMEOUT);
        }
        ids.removeIf(ws -> failed.stream().anyMatch(f -> f.startsWith(ws + " ")));
        return new Opened(ids, containers, containerOf, readyMs, fromPool, failed);
    }

    /** Sends a batch of {@code actions} {@code true}s and waits for all its results: milliseconds. */
    private double roundTrip(BenchClient client, String ws, int actions) throws Exception {
        return roundTrip(client, ws, BenchClient.trues(actions));
    }

    /** Sends {@code batch} and waits for all its results, each a success: milliseconds. */
    private double roundTrip(BenchClient client, String ws, ActionBatch batch) throws Exception {
        int actions = batch.getActions().size();
        long sent = client.send(ws, batch);
        client.flush();
        int seen = 0;
        long arrived = sent;
        while (seen < actions) {
            BenchClient.Arrival a = next(client, Duration.ofSeconds(30));
            if (a == null) {
                throw new IllegalStateException("no result for a batch of " + actions + " on " + ws + " within 30 s");
            }
            if (!(a.event().getBody() instanceof ActionResult ar) || !ar.getSuccess()) {
                throw new IllegalStateException("unexpected result on " + ws + ": " + a.event().getBody());
            }
            seen++;
            arrived = a.arrivedNanos();
        }
        return (arrived - sent) / 1e6;
    }

    /**
     * Every workspace of {@code ids} runs one {@link #LONG_COMMAND} command at once; what each
     * container's processes cost while it runs (the session's driver looking at the command, which
     * itself only sleeps) is its CPU over the command's middle, from the engine's stats: milliseconds
     * per second, one figure per container the engine gave both samples of.
     */
    private List<Double> longCommandCpu(BenchClient client, List<String> ids, Map<String, String> containerOf)
            throws Exception {
        console.printf("phase 4/6: one %d s command in each of the %d workspaces at once: their CPU while it runs%n",
                LONG_COMMAND.toSeconds(), ids.size());
        List<String> containers = ids.stream().map(containerOf::get).toList();
        for (String ws : ids) {
            client.send(ws, BenchClient.sleep((int) LONG_COMMAND.toSeconds()));
        }
        client.flush();
        long sent = System.nanoTime();
        Thread.sleep(LONG_COMMAND_SKIP.toMillis());
        Map<String, EngineBaselines.CpuSample> before = engine.cpu(containers);
        long sampleEnd = sent + LONG_COMMAND.minus(LONG_COMMAND_TAIL).toNanos();
        Thread.sleep(Math.max(0, (sampleEnd - System.nanoTime()) / 1_000_000));
        Map<String, EngineBaselines.CpuSample> after = engine.cpu(containers);
        Set<String> answered = new HashSet<>();
        long deadline = System.nanoTime() + LONG_COMMAND.plusMinutes(1).toNanos();
        while (answered.size() < ids.size() && System.nanoTime() < deadline) {
            BenchClient.Arrival a = next(client, Duration.ofSeconds(1));
            if (a == null) {
                continue;
            }
            if (!(a.event().getBody() instanceof ActionResult ar) || !ar.getSuccess()) {
                throw new IllegalStateException("unexpected result of a long command on " + a.event().getWorkspaceId()
                        + ": " + a.event().getBody());
            }
            answered.add(a.event().getWorkspaceId());
        }
        if (answered.size() < ids.size()) {
            throw new IllegalStateException((ids.size() - answered.size()) + " of " + ids.size()
                    + " long commands unanswered a minute after they should have ended");
        }
        List<Double> msPerSecond = new ArrayList<>();
        for (String c : containers) {
            if (before.containsKey(c) && after.containsKey(c)) {
                msPerSecond.add(after.get(c).msPerSecondSince(before.get(c)));
            }
        }
        return msPerSecond;
    }

    private void closeAll(BenchClient client, List<String> ids) throws Exception {
        ids.forEach(ws -> client.send(ws, BenchClient.closeCommand()));
        client.flush();
        Set<String> closed = new HashSet<>();
        long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
        while (closed.size() < ids.size() && System.nanoTime() < deadline) {
            BenchClient.Arrival a = next(client, Duration.ofSeconds(1));
            if (a != null && a.event().getBody() instanceof WorkspaceClosed) {
                closed.add(a.event().getWorkspaceId());
            }
        }
    }

    private record Paced(List<Long> readyMs, int fromPool) {}

    private Paced paced(BenchClient client) throws Exception {
        List<Long> ready = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        int fromPool = 0;
        for (int i = 0; i < PACED_CREATES; i++) {
            String ws = runId + "-p" + i;
            ids.add(ws);
            client.send(ws, BenchClient.create("bench-paced", options));
            client.flush();
            SimulationEvent created = awaitEvent(client, ws);
            if (!(created.getBody() instanceof WorkspaceCreated c)) {
                throw new IllegalStateException("paced workspace " + ws + " did not open: " + created.getBody());
            }
            ready.add(c.getReadyMs());
            fromPool += c.getFromPool() ? 1 : 0;
            client.send(ws, BenchClient.closeCommand());
            client.flush();
            awaitEvent(client, ws); // closed: the next creation finds a free slot
            Thread.sleep(PACE);
        }
        return new Paced(ready, fromPool);
    }

    /**
     * The next arrival, or null when none came within {@code timeout}; fails at once, with the
     * worker's exit code and log, when the worker under test has exited (else each phase would
     * wait out its timeout for results that cannot come).
     */
    private BenchClient.Arrival next(BenchClient client, Duration timeout) throws InterruptedException {
        BenchClient.Arrival a = client.next(timeout);
        if (a == null && worker != null) {
            worker.requireAlive();
        }
        return a;
    }

    /** The next event of {@code ws} (others are dropped: no other workspace is busy then). */
    private SimulationEvent awaitEvent(BenchClient client, String ws) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            BenchClient.Arrival a = next(client, Duration.ofSeconds(1));
            if (a != null && a.event().getWorkspaceId().equals(ws)) {
                return a.event();
            }
        }
        throw new IllegalStateException("no answer for " + ws + " within 60 s");
    }

    private Map<String, Object> memoryProfile(Map<String, Long> mem) {
        List<Double> mb = mem.values().stream().map(b -> b / 1048576.0).toList();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("container_mem_mb", Stats.summary(mb, 0.0, 0.5, 0.95, 1.0));
        if (worker != null) {
            worker.status("VmHWM").ifPresent(kb -> p.put("worker_peak_rss_mb", Stats.round(kb / 1024.0)));
            worker.status("Threads").ifPresent(t -> p.put("worker_threads", (int) t));
        }
        return p;
    }

    /**
     * The mean of the measured containers' memory in MiB, or null when the engine measured none;
     * says on the console when it measured fewer than {@code asked} (its stats can come back
     * without memory, and a mean of nothing is not 0 MB).
     */
    private Double meanMb(Map<String, Long> measured, int asked, String what) {
        if (measured.size() < asked) {
            console.printf("the engine's stats gave the memory of %d of %d %s; the figure is %s%n", measured.size(), asked,
                    what, measured.isEmpty() ? "left out (null)" : "the mean of those");
        }
        return Stats.meanMib(measured.values());
    }

    /** The worker's process id, or -1 when the bench did not start the worker. */
    private long workerPid() {
        return worker == null ? -1 : worker.pid();
    }

    /** The worker's resident memory in MiB, or null when the bench did not start the worker. */
    private Double workerRssMb() {
        if (worker == null) {
            return null;
        }
        var rss = worker.rssMb();
        return rss.isPresent() ? Stats.round(rss.getAsDouble()) : null;
    }

    /**
     * Waits until the worker's warm pool holds {@code poolSize} started containers again. A taken
     * container keeps its pool label, so the containers of open workspaces are not counted.
     */
    private void awaitFullPool() throws InterruptedException {
        if (poolSelector == null || poolSize == 0) {
            return;
        }
        poolFullAt(Duration.ofMillis(200));
        if (!poolReadyFromGauge) {
            Thread.sleep(1000); // running is not yet warm: the last ones started still start their sessions
        }
    }

    /** When the pool was seen full, looking every {@code poll}; -1 if not within POOL_FILL_TIMEOUT. */
    private long poolFullAt(Duration poll) throws InterruptedException {
        long deadline = System.nanoTime() + POOL_FILL_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (worker != null) {
                worker.requireAlive();
            }
            if (poolReady() >= poolSize) {
                return System.nanoTime();
            }
            Thread.sleep(poll.toMillis());
        }
        return -1;
    }

    /**
     * The pool's containers ready to be taken: the worker's own gauge (started and warm, its
     * session up), or, for a worker that serves none, the pool's running containers that no
     * workspace of this run holds (some may still be starting their sessions).
     */
    private int poolReady() {
        if (worker != null) {
            var ready = worker.gauge(POOL_READY);
            if (ready.isPresent()) {
                poolReadyFromGauge = true;
                return (int) ready.getAsDouble();
            }
        }
        return idlePooled().size();
    }

    /** The pool's started containers that no workspace of this run holds. */
    private Set<String> idlePooled() {
        Set<String> idle = engine.running(poolSelector);
        idle.removeAll(openContainers);
        return idle;
    }
}
