package io.mechanize.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.client.FleetClient;
import io.mechanize.cli.embedded.EmbeddedKafkaBroker;
import io.mechanize.cli.results.RunTracker;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SpecParser;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.WorkspaceClosed;
import io.mechanize.schemas.avro.WorkspaceCreated;
import io.mechanize.schemas.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker image end to end: {@code images/worker/build.sh} builds {@code mechanize/worker:latest}
 * from this build's jar (the {@code package} phase ran before this test; the build is cached, so an
 * unchanged tree costs about a second), then the image runs as a container with the host's Docker
 * socket and host networking against a broker and registry on this JVM's loopback, creates its
 * workspace as a sibling container on the host engine, and answers a simulation.
 */
@Tag("integration")
@Timeout(420)
class WorkerImageIT {
    private static final String IMAGE = System.getProperty("mechanize.worker.image", "mechanize/worker:latest");
    private static final String SPEC = "{\"task\": {\"task_id\": \"image\", \"snapshot\": {\"inline\": {\"a.txt\": \"from the snapshot\"}}},"
            + " \"limits\": {\"memory_mb\": 64, \"cpu_cores\": 0.5},"
            + " \"batches\": [[{\"type\": \"TERMINAL_COMMAND\", \"command\": \"cat a.txt; echo; echo in $(hostname)\"}]]}";

    private final String suffix = ProcessHandle.current().pid() + "-" + System.nanoTime();
    private final String groupId = "worker-image-it-" + suffix;
    private final String workerId = "image-worker-" + suffix;
    private final String containerName = "mechanize-worker-image-it-" + suffix;
    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;

    @BeforeEach
    void buildImageAndStartCluster() throws Exception {
        Path root = repositoryRoot();
        ProcessBuilder build = new ProcessBuilder(root.resolve("images/worker/build.sh").toString())
                .directory(root.toFile()).redirectErrorStream(true);
        build.environment().put("WORKER_IMAGE", IMAGE);
        build.environment().putIfAbsent("JAVA_HOME", System.getProperty("java.home"));
        Result built = run(build, Duration.ofMinutes(5));
        assertThat(built.exit()).as("images/worker/build.sh (needs docker, debian:bookworm-slim, a JDK >= 24 and "
                + "producer-cli/target/mechanize-cli.jar from mvn package):%n%s", built.output()).isZero();

        broker = EmbeddedKafkaBroker.startTemporary();
        registry = EmbeddedSchemaRegistry.start(broker.bootstrapServers(), 0);
    }

    @AfterEach
    void removeContainersAndStopCluster() throws Exception {
        // SIGTERM first: the worker removes its own workspaces; then whatever carries the group's label
        run(new ProcessBuilder("docker", "stop", "-t", "20", containerName), Duration.ofSeconds(40));
        run(new ProcessBuilder("sh", "-c", "docker ps -aq --filter label=mechanize.group=" + groupId
                + " | xargs -r docker rm -f"), Duration.ofSeconds(60));
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void theImageRunsAWorkerThatDrivesSiblingContainersThroughTheHostSocket() throws Exception {
        Cluster cluster = new Cluster(broker.bootstrapServers(), registry.url());
        try (FleetClient client = new FleetClient(cluster)) {
            client.ensureTopics(3, (short) 1);
        }
        Result started = run(new ProcessBuilder("docker", "run", "-d", "--name", containerName,
                "--label", "mechanize.group=" + groupId, "--label", "mechanize.test=worker-image",
                "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock",
                IMAGE, "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry", registry.url(),
                "--group-id", groupId, "--worker-id", workerId, "--metrics-port", "0", "--max-workspaces", "2",
                "--partitions", "3"), Duration.ofSeconds(60));
        assertThat(started.exit()).as("docker run %s: %s", IMAGE, started.output()).isZero();

        Clock clock = Clock.systemUTC();
        RunPlan plan = RunPlan.of(RunPlan.newRunId(clock), List.of(SpecParser.parseLine(1, SPEC)), clock);
        RunTracker tracker = new RunTracker(plan);
        List<SimulationEvent> events = new ArrayList<>();
        try (FleetClient client = new FleetClient(cluster);
             FleetClient.ResultsReader reader = client.openResultsFromNow()) {
            client.submit(plan);
            boolean finished = reader.follow(tracker, Duration.ofMinutes(3), events::add, () -> { }, clock);
            assertThat(finished).as("the run finished; the worker container's log:%n%s", logs()).isTrue();
        }

        assertThat(events).extracting(e -> e.getBody().getClass().getSimpleName())
                .containsExactly("WorkspaceCreated", "ActionResult", "WorkspaceClosed");
        assertThat(events).allMatch(e -> e.getWorkerId().equals(workerId));
        assertThat(events.get(0).getBody()).isInstanceOf(WorkspaceCreated.class);
        ActionResult action = (ActionResult) events.get(1).getBody();
        assertThat(action.getSuccess()).as("%s", action).isTrue();
        assertThat(action.getOutput()).startsWith("from the snapshot\nin ")
                .as("the command ran in a workspace container, not in the worker's")
                .doesNotContain(containerName);
        assertThat(events.get(2).getBody()).isInstanceOf(WorkspaceClosed.class);
        String sibling = ((WorkspaceCreated) events.get(0).getBody()).getContainerId();
        assertThat(run(new ProcessBuilder("docker", "ps", "-aq", "--no-trunc", "--filter", "id=" + sibling),
                Duration.ofSeconds(30)).output().strip())
                .as("the closed workspace's sibling container %s is gone (warm-pool containers may stay)", sibling)
                .isEmpty();
    }

    private String logs() throws Exception {
        return run(new ProcessBuilder("docker", "logs", "--tail", "60", containerName), Duration.ofSeconds(30)).output();
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("images/worker/build.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("images/worker/build.sh not found above " + System.getProperty("user.dir"));
    }

    private record Result(int exit, String output) {
    }

    private static Result run(ProcessBuilder command, Duration timeout) throws IOException, InterruptedException {
        Process process = command.redirectErrorStream(true).start();
        // output is small (build.sh prints two lines); read it after the exit or the timeout
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            return new Result(-1, String.join(" ", command.command()) + " did not finish within " + timeout);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8));
    }
}
