package io.mechanize.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.client.FleetClient;
import io.mechanize.cli.embedded.EmbeddedKafkaBroker;
import io.mechanize.cli.results.RunTracker;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SimulationSpec;
import io.mechanize.cli.spec.SpecParser;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceRecovered;
import io.mechanize.schemas.registry.EmbeddedSchemaRegistry;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's guarantees with real worker processes (`mechanize worker`), a real KRaft broker
 * and the real Docker engine: a worker killed with SIGKILL, a worker joining, a broker restart.
 * Each run checks that every simulation completes and that every result appears exactly once
 * to a read_committed reader.
 */
@Tag("integration")
@Timeout(600)
class FleetProcessesIT {
    /** Three batches that build a file step by step; only an exact replay passes the evaluation. */
    private static final String SPEC = "{\"task\": {\"task_id\": \"steps\", \"snapshot\": {\"inline\": {\"log.txt\": \"\"}},"
            + " \"evaluation_criteria\": [{\"type\": \"command\", \"command\": \"test \\\"$(tr -d '\\\\n' < log.txt)\\\" = 123\"}]},"
            + " \"limits\": {\"memory_mb\": 64, \"cpu_cores\": 0.5},"
            + " \"batches\": [[{\"type\": \"TERMINAL_COMMAND\", \"command\": \"echo 1 >> log.txt\"}],"
            + " [{\"type\": \"TERMINAL_COMMAND\", \"command\": \"echo 2 >> log.txt\"}],"
            + " [{\"type\": \"TERMINAL_COMMAND\", \"command\": \"echo 3 >> log.txt\"}]], \"repeat\": %d}";

    @TempDir
    Path dir;

    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;
    private final List<Process> workers = new ArrayList<>();
    private final List<String> workerIds = new ArrayList<>();
    private final String groupId = "fleet-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();

    @BeforeEach
    void startCluster() {
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of(), false);
        registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers(), 0);
    }

    @AfterEach
    void stopCluster() throws Exception {
        for (Process p : workers) {
            p.destroy();
        }
        for (Process p : workers) {
            if (!p.waitFor(40, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        for (String id : workerIds) {
            new ProcessBuilder("sh", "-c", "docker ps -aq --filter label=mechanize.worker=" + id
                    + " | xargs -r docker rm -f").inheritIO().start().waitFor();
        }
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aWorkerKilledMidRunLosesNothingAndDoublesNothing() throws Exception {
        startWorker("crash-a");
        startWorker("crash-b");
        startWorker("crash-c");
        AtomicBoolean killed = new AtomicBoolean();
        List<SimulationEvent> events = runToCompletion(200, finished -> {
            if (finished >= 40 && killed.compareAndSet(false, true)) {
                workers.get(1).destroyForcibly(); // SIGKILL: no goodbye, no commit
            }
        });

        assertThat(killed).isTrue();
        assertExactlyOnceAndAllPassed(events, 200);
        // its unfinished workspaces were finished by the others: rebuilt for their next commands
        // (WorkspaceRecovered), or closed without a container when only the close was left
        String killedId = workerIds.get(1);
        Set<String> killedWorkspaces = new HashSet<>();
        events.stream().filter(e -> e.getWorkerId().equals(killedId)).forEach(e -> killedWorkspaces.add(e.getWorkspaceId()));
        assertThat(events).as("the killed worker's open workspaces were taken over by the others")
                .anyMatch(e -> killedWorkspaces.contains(e.getWorkspaceId()) && !e.getWorkerId().equals(killedId));
    }

    @Test
    void aWorkerJoiningMidRunTakesOverPartitionsWithoutDuplicates() throws Exception {
        startWorker("scale-a");
        AtomicBoolean joined = new AtomicBoolean();
        // early enough that the run is still going when the new worker is up (a few seconds):
        // the old one hands over its revoked partitions' queued commands instead of running them
        List<SimulationEvent> events = runToCompletion(120, finished -> {
            if (finished >= 5 && joined.compareAndSet(false, true)) {
                startWorker("scale-b");
            }
        });

        assertExactlyOnceAndAllPassed(events, 120);
        assertThat(events).as("the new worker did part of the run")
                .anyMatch(e -> e.getWorkerId().equals(workerIds.get(1)));
    }

    @Test
    void aWorkerPausedPastItsTimeoutsComesBackAndLosesNothing() throws Exception {
        startWorker("pause-a");
        startWorker("pause-b");
        AtomicBoolean paused = new AtomicBoolean();
        // SIGSTOP for longer than the session timeout (6 s here) and the transaction timeout
        // (10 s): what a stopped VM or a very long GC pause does to a worker
        Thread pauser = new Thread(() -> {
            try {
                signal(workers.get(0), "STOP");
                Thread.sleep(15_000);
                signal(workers.get(0), "CONT");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<SimulationEvent> events = runToCompletion(80, finished -> {
            if (finished >= 10 && paused.compareAndSet(false, true)) {
                pauser.start();
            }
        });
        pauser.join();

        assertExactlyOnceAndAllPassed(events, 80);
        assertThat(workers.get(0).isAlive()).as("the paused worker carried on instead of exiting").isTrue();
    }

    private static void signal(Process p, String signal) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor()).isZero();
    }

    @Test
    void aBrokerRestartMidRunLosesNothingAndDoublesNothing() throws Exception {
        startWorker("restart-a");
        startWorker("restart-b");
        AtomicBoolean restarted = new AtomicBoolean();
        List<SimulationEvent> events = runToCompletion(60, finished -> {
            if (finished >= 15 && restarted.compareAndSet(false, true)) {
                int port = broker.port();
                broker.close();
                broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), port, Map.of(), false);
            }
        });

        assertExactlyOnceAndAllPassed(events, 60);
    }

    @Test
    void aWorkerStoppedWithSigtermFinishesCommitsRemovesItsContainersAndLeaves() throws Exception {
        startWorker("term-a");
        startWorker("term-b");
        AtomicBoolean stopped = new AtomicBoolean();
        List<SimulationEvent> events = runToCompletion(60, finished -> {
            if (finished >= 15 && stopped.compareAndSet(false, true)) {
                workers.get(0).destroy(); // SIGTERM
            }
        });

        assertExactlyOnceAndAllPassed(events, 60);
        Process first = workers.get(0);
        assertThat(first.waitFor(45, java.util.concurrent.TimeUnit.SECONDS)).as("exited within its grace").isTrue();
        assertThat(containersOf(workerIds.get(0))).as("its containers are gone").isEmpty();
        assertThat(Files.readString(Path.of("target", "fleet-it-logs", workerIds.get(0) + ".log")))
                .contains("worker " + workerIds.get(0) + " stopped");
    }

    @Test
    void aWorkerWhoseSupervisorIsGoneStopsAndRemovesItsContainers() throws Exception {
        startWorker("orphan", "--exit-on-stdin-eof");
        Process worker = workers.get(0);
        String id = workerIds.get(0);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (containersOf(id).isEmpty()) {
            assertThat(worker.isAlive()).as("the worker runs").isTrue();
            assertThat(System.nanoTime()).as("the worker filled its warm pool within 90 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        // its metrics count the pool's warm containers: started, their sessions up, none taken
        double ready = 0;
        while ((ready = poolReady(id)) < 1) {
            assertThat(System.nanoTime()).as("the pool's gauge counted a warm container within 90 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(ready).isLessThanOrEqualTo(containersOf(id).lines().count());
        Thread.sleep(1000);
        assertThat(worker.isAlive()).as("an open standard input keeps it running").isTrue();

        worker.getOutputStream().close(); // what the kernel does when the process holding the pipe dies

        assertThat(worker.waitFor(45, java.util.concurrent.TimeUnit.SECONDS)).as("exited within its grace").isTrue();
        assertThat(worker.exitValue()).isZero();
        assertThat(containersOf(id)).as("its containers are gone").isEmpty();
        assertThat(Files.readString(Path.of("target", "fleet-it-logs", id + ".log")))
                .contains("standard input closed").contains("worker " + id + " stopped");
    }

    /** The worker's {@code mechanize_worker_pool_ready} gauge, from the /metrics its log names; 0 before that. */
    private static double poolReady(String workerId) throws Exception {
        var port = java.util.regex.Pattern.compile("metrics at http://[^:]+:(\\d+)/metrics")
                .matcher(Files.readString(Path.of("target", "fleet-it-logs", workerId + ".log")));
        if (!port.find()) {
            return 0;
        }
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            String text = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + port.group(1) + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            return text.lines().filter(l -> l.startsWith("mechanize_worker_pool_ready "))
                    .mapToDouble(l -> Double.parseDouble(l.split(" ")[1])).findFirst().orElse(0);
        }
    }

    private static String containersOf(String workerId) throws Exception {
        Process ps = new ProcessBuilder("docker", "ps", "-aq", "--filter", "label=mechanize.worker=" + workerId).start();
        String out = new String(ps.getInputStream().readAllBytes()).trim();
        assertThat(ps.waitFor()).as("docker ps").isZero();
        return out;
    }

    private void startWorker(String name, String... extraArgs) {
        String id = name + "-" + ProcessHandle.current().pid();
        try {
            Path logs = Path.of("target", "fleet-it-logs"); // kept after the run, for a failure's post-mortem
            Files.createDirectories(logs);
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-cp", System.getProperty("java.class.path"), "io.mechanize.cli.Main", "worker",
                    "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry", registry.url(),
                    "--worker-id", id, "--group-id", groupId, "--max-workspaces", "6", "--shutdown-grace", "10s", "--metrics-port", "0",
                    "--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=1000"));
            command.addAll(List.of(extraArgs));
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(logs.resolve(id + ".log").toFile())
                    .start();
            workers.add(p);
            workerIds.add(id);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start worker " + id, e);
        }
    }

    /** Submits {@code count} simulations, follows them to the end, returns all committed events of the run. */
    private List<SimulationEvent> runToCompletion(int count, IntConsumer onProgress) throws Exception {
        Cluster cluster = new Cluster(broker.bootstrapServers(), registry.url());
        List<SimulationSpec> specs = List.of(SpecParser.parseLine(1, SPEC.formatted(count)));
        Clock clock = Clock.systemUTC();
        RunPlan plan = RunPlan.of(RunPlan.newRunId(clock), specs, clock);
        RunTracker tracker = new RunTracker(plan);
        try (FleetClient client = new FleetClient(cluster)) {
            client.ensureTopics(12, (short) 1);
            try (FleetClient.ResultsReader reader = client.openResultsFromNow()) {
                client.submit(plan);
                boolean finished = reader.follow(tracker, Duration.ofMinutes(8), e -> { },
                        () -> onProgress.accept(tracker.finished()), clock);
                assertThat(finished).as("every simulation finished; %d unfinished, e.g. %s; the workers:%n%s",
                        tracker.unfinished().size(), tracker.unfinished().stream().limit(3).toList(), workerSummary())
                        .isTrue();
            }
        }
        return readAll(plan.runId());
    }

    /** For a failure's message: each worker, whether it still runs, and the last warnings and errors of its log. */
    private String workerSummary() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < workers.size(); i++) {
            String id = workerIds.get(i);
            out.append(id).append(workers.get(i).isAlive() ? " running" : " exited " + workers.get(i).exitValue())
                    .append('\n');
            try {
                List<String> notable = Files.readAllLines(Path.of("target", "fleet-it-logs", id + ".log")).stream()
                        .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("revoked")
                                || l.contains("assigned"))
                        .toList();
                notable.subList(Math.max(0, notable.size() - 8), notable.size())
                        .forEach(l -> out.append("  ").append(l, 0, Math.min(l.length(), 300)).append('\n'));
            } catch (IOException e) {
                out.append("  (no log: ").append(e.getMessage()).append(")\n");
            }
        }
        return out.toString();
    }

    private List<SimulationEvent> readAll(String runId) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<SimulationEvent> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<byte[], byte[]>(c);
                var client = new RestSchemaRegistryClient(registry.url())) {
            var events = new AvroDeserializer<>(client, SimulationEvent.class);
            var partitions = consumer.partitionsFor(Topics.RESULTS).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    SimulationEvent e = events.deserialize(r.topic(), r.value());
                    if (e.getRunId().equals(runId)) {
                        out.add(e);
                    }
                }
            }
        }
        return out;
    }

    private static void assertExactlyOnceAndAllPassed(List<SimulationEvent> events, int simulations) {
        Map<String, List<String>> seen = new HashMap<>();
        for (SimulationEvent e : events) {
            Object body = e.getBody();
            if (body instanceof WorkspaceRecovered) {
                continue;
            }
            String key = e.getWorkspaceId() + "/" + e.getCommandSeq() + "/"
                    + (body instanceof ActionResult r ? "action-" + r.getActionIndex() : body.getClass().getSimpleName());
            // who emitted each copy, and when: what a duplicate's explanation starts from
            seen.computeIfAbsent(key, k -> new ArrayList<>()).add(e.getWorkerId() + " at " + e.getEmittedAt());
        }
        assertThat(seen.entrySet().stream().filter(en -> en.getValue().size() > 1)
                .map(en -> en.getKey() + " from " + en.getValue()).toList())
                .as("results that appear more than once").isEmpty();
        Set<String> closed = new HashSet<>();
        Set<String> passed = new HashSet<>();
        long actions = 0;
        for (SimulationEvent e : events) {
            if (e.getBody() instanceof WorkspaceClosed) {
                closed.add(e.getWorkspaceId());
            } else if (e.getBody() instanceof EvaluationMetrics m && m.getPassed()) {
                passed.add(e.getWorkspaceId());
            } else if (e.getBody() instanceof ActionResult r) {
                actions++;
                assertThat(r.getSuccess()).as("action %s of %s (seq %d, worker %s): exit %s, error %s, stderr %s, "
                        + "violations %s", r.getActionId(), e.getWorkspaceId(), e.getCommandSeq(), e.getWorkerId(),
                        r.getExitCode(), r.getErrorMessage(), r.getStderr(), r.getSecurityViolations()).isTrue();
            }
        }
        assertThat(closed).hasSize(simulations);
        assertThat(actions).isEqualTo(3L * simulations);
        assertThat(passed).as("every workspace, recovered or not, ends with the right file").hasSize(simulations);
    }
}
