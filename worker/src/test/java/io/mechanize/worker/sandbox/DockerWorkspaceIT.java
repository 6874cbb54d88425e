package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.exception.NotFoundException;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.TestRunAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.actions.DockerWorkspace;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Workspaces against the real Docker engine and the real mechanize/dev-env:latest image. */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerWorkspaceIT {
    private static final String LONG_PATH = "pkg/" + "sub-directory/".repeat(9) + "données.txt";
    private static final Map<String, String> TEST_LABELS = Map.of("mechanize.test", "true");
    private final String workerId = "it-worker-" + UUID.randomUUID();
    private DockerEngine engine;
    private DockerWorkspaceFactory factory;
    private Workspace ws;
    private int actions;

    @BeforeAll
    void startOneSharedWorkspace() throws Exception {
        engine = DockerEngine.fromEnvironment();
        factory = new DockerWorkspaceFactory(engine, workerId, TEST_LABELS, DockerWorkspace::new, Clock.systemUTC());
        ws = factory.create(ref("shared"), createCommand(inlineSnapshot()));
    }

    @AfterAll
    void removeEverything() {
        if (factory != null) {
            factory.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void theContainerIsHardened() throws Exception {
        assertThat(run("grep -E '^(Uid|CapEff):' /proc/self/status").getOutput())
                .containsPattern("Uid:\\s+1000\\s+1000")
                .containsPattern("CapEff:\\s+0000000000000000");
        ActionResult touch = run("touch /etc/x");
        assertThat(touch.getSuccess()).isFalse();
        assertThat(touch.getStderr()).contains("Read-only file system");
        assertThat(run("ls /sys/class/net").getOutput().strip()).isEqualTo("lo");
        assertThat(run("test -e /var/run/docker.sock").getExitCode()).isEqualTo(1);
        assertThat(run("cat /proc/1/cmdline | tr '\\0' ' '").getOutput()).contains("init").contains("sleep infinity");
        var inspect = engine.client().inspectContainerCmd(ws.containerId()).exec();
        assertThat(inspect.getConfig().getLabels())
                .containsEntry("mechanize.managed", "true")
                .containsEntry("mechanize.workspace", "shared")
                .containsEntry("mechanize.worker", workerId)
                .containsEntry("mechanize.test", "true");
        // the one thing from the engine's host: the hosts file, read-only (LoopbackHosts)
        assertThat(inspect.getHostConfig().getBinds()).isNullOrEmpty();
        assertThat(inspect.getMounts()).singleElement().satisfies(m -> {
            assertThat(m.getDestination().getPath()).isEqualTo("/etc/hosts");
            assertThat(m.getRW()).isFalse();
        });
        assertThat(run("echo x >> /etc/hosts").getSuccess()).isFalse();
    }

    @Test
    void aWorkspaceWithoutNetworkHasLoopbackAndLocalhostButNoEngineNetwork() throws Exception {
        // created with networking disabled: no libnetwork sandbox or endpoint in the engine
        var inspect = engine.client().inspectContainerCmd(ws.containerId()).exec();
        assertThat(inspect.getConfig().getNetworkDisabled()).isTrue();
        assertThat(inspect.getNetworkSettings().getNetworks()).isEmpty();
        assertThat(inspect.getNetworkSettings().getSandboxKey()).isNullOrEmpty();
        // and still what a container on the none network has: loopback up, localhost resolving
        assertThat(run("ls /sys/class/net").getOutput().strip()).isEqualTo("lo");
        assertThat(run("python3 -c 'import socket; print(sorted({a[4][0] for a in socket.getaddrinfo(\"localhost\", 80)}))'")
                .getOutput()).isEqualTo("['127.0.0.1', '::1']\n");
        ActionResult loop = run("python3 -c 'import socket; s = socket.create_server((\"localhost\", 0)); "
                + "c = socket.create_connection((\"localhost\", s.getsockname()[1]), timeout=2); "
                + "a, _ = s.accept(); c.sendall(b\"ping\"); print(a.recv(4).decode())'");
        assertThat(loop.getOutput()).as(loop.getStderr()).isEqualTo("ping\n");
        assertThat(run("cat /proc/net/route | wc -l").getOutput().strip()).as("no route anywhere").isEqualTo("1");
    }

    @Test
    void snapshotFilesArePlacedOwnedByTheAgent() throws Exception {
        assertThat(ws.snapshotFiles()).isEqualTo(4);
        assertThat(read(LONG_PATH, null).getOutput()).isEqualTo("pax\n");
        assertThat(read("src/app.py", null).getOutput()).isEqualTo("print('hello')\n");
        assertThat(read("README.md", null).getOutput()).isEqualTo("line1\nline2\nline3\nline4\n");
        ActionResult stat = run("stat -c '%u:%g' src/app.py bin/data.bin");
        assertThat(stat.getOutput()).as(stat.toString()).isEqualTo("1000:1000\n1000:1000\n");
        assertThat(run("od -An -tx1 bin/data.bin").getOutput().strip()).isEqualTo("00 ff 10");
        // the pristine copy for the final diff: the same four files, unpacked a second time
        ActionResult pristine = run("cd /tmp/.mechanize-pristine && find . -type f | LC_ALL=C sort && cat src/app.py && od -An -tx1 bin/data.bin");
        assertThat(pristine.getOutput()).as(pristine.toString())
                .isEqualTo("./README.md\n./bin/data.bin\n./" + LONG_PATH + "\n./src/app.py\nprint('hello')\n 00 ff 10\n");
    }

    @Test
    void writeThenReadBack() throws Exception {
        ActionResult created = file(edit("deep/new/dir/notes.txt", "write").setContent("héllo\nworld\n").build());
        assertThat(created.getSuccess()).as(created.toString()).isTrue();
        assertThat(created.getStateChanges().getCreated())
                .as("files, not the directories made on the way").containsExactly("deep/new/dir/notes.txt");
        ActionResult modified = file(edit("deep/new/dir/notes.txt", "write").setContent("aGk=").setEncoding("base64").build());
        assertThat(modified.getStateChanges().getModified()).containsExactly("deep/new/dir/notes.txt");
        assertThat(read("deep/new/dir/notes.txt", null).getOutput()).isEqualTo("hi");
        assertThat(file(edit("src/../deep/new/dir/notes.txt", "read").setEncoding("base64").build()).getOutput())
                .isEqualTo("aGk=");
    }

    @Test
    void readsALineRange() throws Exception {
        assertThat(read("README.md", List.of(2, 3)).getOutput()).isEqualTo("line2\nline3\n");
        assertThat(read("README.md", List.of(4, 99)).getOutput()).isEqualTo("line4\n");
        ActionResult bad = read("README.md", List.of(3, 2));
        assertThat(bad.getSuccess()).isFalse();
        assertThat(bad.getErrorMessage()).contains("line_range [3, 2] is invalid");
    }

    @Test
    void missingFileAndUnimplementedOperationAreErrorsNotExceptions() throws Exception {
        ActionResult missing = read("nope.txt", null);
        assertThat(missing.getSuccess()).isFalse();
        assertThat(missing.getErrorMessage()).contains("file 'nope.txt' does not exist");
        assertThat(missing.getSecurityViolations()).isEmpty();
        ActionResult unknown = file(edit("README.md", "frobnicate").build());
        assertThat(unknown.getErrorMessage()).startsWith("operation 'frobnicate' is unknown");
    }

    @Test
    void pathsThatLeaveTheWorkspaceAreRefused() throws Exception {
        assertThat(run("ln -s /etc evil && ln -s ../../.. up").getSuccess()).isTrue();
        for (String path : List.of("../etc/passwd", "/etc/passwd", "evil/passwd", "up/etc/hostname", "/workspace/../etc")) {
            ActionResult read = read(path, null);
            assertThat(read.getSuccess()).as(path).isFalse();
            assertThat(read.getSecurityViolations()).as(path).extracting(SecurityViolation::getType)
                    .containsExactly(ViolationType.PATH_ESCAPE);
            assertThat(read.getErrorMessage()).as(path).contains("outside /workspace");
            assertThat(read.getOutput()).as(path).isEmpty();
        }
        ActionResult write = file(edit("evil/owned", "write").setContent("x").build());
        assertThat(write.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.PATH_ESCAPE);
        ActionResult cd = ws.execute(action(TerminalCommandAction.newBuilder().setCommand("pwd").setWorkingDir("evil").build()), 0);
        assertThat(cd.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.PATH_ESCAPE);
        ActionResult inside = ws.execute(action(TerminalCommandAction.newBuilder().setCommand("pwd").setWorkingDir("src").build()), 0);
        assertThat(inside.getOutput()).isEqualTo("/workspace/src\n");
    }

    @Test
    void aCommandReportsStdoutStderrAndExitCodeApart() throws Exception {
        ActionResult result = ws.execute(action(TerminalCommandAction.newBuilder()
                .setCommand("echo out; echo err >&2; echo \"$GREETING\"; exit 3")
                .setEnv(Map.of("GREETING", "hi there")).build()), 7);
        assertThat(result.getSuccess()).isFalse();
        assertThat(result.getExitCode()).isEqualTo(3);
        assertThat(result.getOutput()).isEqualTo("out\nhi there\n");
        assertThat(result.getStderr()).isEqualTo("err\n");
        assertThat(result.getActionIndex()).isEqualTo(7);
        assertThat(result.getErrorMessage()).isEqualTo("command exited with code 3");
    }

    @Test
    void aCommandThatReturnsAFailureIsReportedWithItsCodeWhenTheDriverFindsItAlreadyGone() throws Exception {
        // no EXIT trap, so no code in the kind file: the driver sees the process gone and takes its wait status
        ActionResult untrapped = run("trap - EXIT; (exit 5)");
        assertThat(untrapped.getSuccess()).isFalse();
        assertThat(untrapped.getExitCode()).isEqualTo(5);

        // the driver wakes every 50 ms in a command's first half second; a command that ends just after a wake-up is sometimes found gone
        // before its line in the done fifo is read (3 in 126 such commands were, in a container)
        for (int ms = 44; ms <= 56; ms++) {
            for (int offset : new int[] {0, 50}) {
                String command = "sleep 0." + String.format("%03d", ms + offset) + "; false";
                assertThat(run(command).getExitCode()).as(command).isEqualTo(1);
            }
        }
    }

    @Test
    void aLongCommandIsStillWatchedOnceTheDriverLooksAtItLessOften() throws Exception {
        // past 4 s the driver looks at a running command every 500 ms (shell-driver.sh, __mz_slower)
        long start = System.nanoTime();
        ActionResult killed = run("sleep 4.5; trap - EXIT; kill -KILL $BASHPID");
        long killedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(killed.getExitCode()).as("a command killed before its trap ran: its wait status").isEqualTo(137);
        assertThat(killedMs).as("found gone within a tick of its end").isBetween(4500L, 6500L);

        start = System.nanoTime();
        ActionResult slow = ws.execute(action(TerminalCommandAction.newBuilder().setCommand("sleep 30").setTimeout(6)
                .build()), 0);
        long slowMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(slow.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.TIMEOUT);
        assertThat(slowMs).as("the timeout fired on time, not a tick late").isBetween(6000L, 7500L);
        assertThat(run("echo still here").getOutput()).isEqualTo("still here\n");
    }

    @Test
    void aTimeoutKillsTheProcessGroupAndTheWorkspaceGoesOn() throws Exception {
        long start = System.nanoTime();
        ActionResult slow = ws.execute(action(TerminalCommandAction.newBuilder()
                .setCommand("echo before; sleep 30 & sleep 30; echo never").setTimeout(1).build()), 0);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(6000);
        assertThat(slow.getSuccess()).isFalse();
        assertThat(slow.getOutput()).isEqualTo("before\n");
        assertThat(slow.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.TIMEOUT);
        assertThat(run("ps -eo args | grep -c '^sleep 30' || true").getOutput().strip()).isEqualTo("0");
        ActionResult next = run("echo still here");
        assertThat(next.getSuccess()).isTrue();
        assertThat(next.getOutput()).isEqualTo("still here\n");
    }

    @Test
    void anOutputFloodIsCappedHeadAndTail() throws Exception {
        ActionResult flood = run("echo FIRST; head -c 2000000 /dev/zero | tr '\\0' a; echo; echo LAST");
        assertThat(flood.getSuccess()).isTrue();
        assertThat(flood.getOutputTruncated()).isTrue();
        assertThat(flood.getOutput()).startsWith("FIRST\n").endsWith("LAST\n").contains("bytes truncated");
        assertThat(flood.getOutput().length()).isLessThan(65536 + 100);
        assertThat(flood.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.OUTPUT_LIMIT);
    }

    @Test
    void unknownTestFrameworksSaySo() throws Exception {
        ActionResult result = ws.execute(action(TestRunAction.newBuilder().setCommand("pytest").setFramework("nose").build()), 2);
        assertThat(result.getSuccess()).isFalse();
        assertThat(result.getErrorMessage()).startsWith("framework 'nose' is unknown; known: [pytest");
    }

    @Test
    void commandCriteriaPassAndFail() throws Exception {
        EvaluationMetrics metrics = ws.evaluate(List.of(
                criterion("passes", "python3 src/app.py"),
                criterion("fails", "echo boom >&2; exit 4"),
                EvaluationCriterion.newBuilder().setType(CriterionType.TESTS).setName("tests").build()));
        assertThat(metrics.getResolved()).isNull();
        assertThat(metrics.getCriteriaResults()).hasSize(3);
        assertThat(metrics.getCriteriaResults().get(0).getPassed()).isTrue();
        assertThat(metrics.getCriteriaResults().get(0).getDetail()).contains("exit code 0").contains("hello");
        assertThat(metrics.getCriteriaResults().get(1).getPassed()).isFalse();
        assertThat(metrics.getCriteriaResults().get(1).getDetail()).contains("exit code 4").contains("boom");
        assertThat(metrics.getCriteriaResults().get(2).getDetail()).isEqualTo("criterion TESTS has no command");
        assertThat(metrics.getCompletionPercentage()).isCloseTo(100.0 / 3, org.assertj.core.data.Offset.offset(0.01));
        assertThat(metrics.getPassed()).isFalse();
    }

    @Test
    void aHostsFileWhoseVolumeWasPrunedIsPlacedAgain() throws Exception {
        // no container refers to the volume by name (they mount the file by path), so a
        // `docker volume prune` takes it; the next creation must not fail for good on that path
        engine.client().removeVolumeCmd(LoopbackHosts.VOLUME).exec();
        try (Workspace next = factory.create(ref("after-prune"), createCommand(null))) {
            assertThat(ws(next, "python3 -c 'import socket; print(socket.gethostbyname(\"localhost\"))'").getOutput())
                    .isEqualTo("127.0.0.1\n");
        }
        assertThat(engine.client().inspectVolumeCmd(LoopbackHosts.VOLUME).exec().getMountpoint()).isNotBlank();
    }

    @Test
    void openSessionsHoldNoPlatformThreadOfTheirOwn() throws Exception {
        // every workspace (and every warm container) keeps its session attached for its whole
        // life; through docker-java each attach held two platform threads, its reader and its
        // stdin pump, which at 500 workspaces was 1 000 threads (EngineSocket)
        assertThat(engine.socket()).as("the engine is reached over its unix socket").isNotNull();
        int before = Thread.getAllStackTraces().size();
        List<Workspace> opened = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                Workspace w = factory.create(ref("threads-" + i), createCommand(null));
                opened.add(w);
                ActionResult echo = ws(w, "echo session-" + i);
                assertThat(echo.getOutput()).isEqualTo("session-" + i + "\n");
            }
            assertThat(Thread.getAllStackTraces().size() - before).isLessThan(6);
        } finally {
            for (Workspace w : opened) {
                w.close();
            }
        }
    }

    @Test
    void evaluationsStartNoPlatformThread() throws Exception {
        // an evaluation runs its criteria by exec; through docker-java each exec's stream started
        // a platform thread of its own, now it is streamed over the engine's socket (EngineSocket)
        assertThat(engine.socket()).as("the engine is reached over its unix socket").isNotNull();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        ws.evaluate(List.of(criterion("warm-up", "true")));
        long before = threads.getTotalStartedThreadCount();
        for (int i = 0; i < 8; i++) {
            EvaluationMetrics metrics = ws.evaluate(List.of(
                    criterion("reads", "printf 'a\\nb\\n' | grep -c b"),
                    criterion("second", "echo round-" + i + "; exit " + (i % 2))));
            assertThat(metrics.getCriteriaResults().get(0).getPassed()).isTrue();
            assertThat(metrics.getCriteriaResults().get(1).getPassed()).isEqualTo(i % 2 == 0);
            assertThat(metrics.getCriteriaResults().get(1).getDetail()).contains("round-" + i);
        }
        assertThat(threads.getTotalStartedThreadCount() - before).isLessThan(4);
    }

    @Test
    void closeRemovesTheContainer() throws Exception {
        int before = factory.heldContainers();
        Workspace other = factory.create(ref("to-close"), createCommand(null));
        String id = other.containerId();
        assertThat(factory.heldContainers()).isEqualTo(before + 1);
        other.close();
        other.close();
        assertThat(factory.heldContainers()).isEqualTo(before);
        assertThatThrownBy(() -> engine.client().inspectContainerCmd(id).exec()).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aContainerThatDiesIsDiagnosed() throws Exception {
        try (Workspace doomed = factory.create(ref("doomed"), createCommand(null))) {
            // docker-init forwards SIGTERM to the container's main process; both exit. The
            // engine may mark the container exited a moment after the command's stream ends, so
            // the death is reported by this action or, at the latest, by a later one.
            try {
                ws(doomed, "kill -TERM 1; sleep 10");
            } catch (WorkspaceException reportedAtOnce) {
                assertThat(reportedAtOnce).hasMessageContaining("the container died: exited with code 143");
            }
            WorkspaceException death = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> {
                        try {
                            ws(doomed, "true");
                            return null;
                        } catch (WorkspaceException e) {
                            return e;
                        }
                    }, java.util.Objects::nonNull);
            assertThat(death).hasMessageContaining("the container died: exited with code 143");
            assertThat(death.stage()).isEqualTo("action");
        }
    }

    @Test
    void stateChangesStayExactWhenTheListerChangesOrIsKilled() throws Exception {
        try (Workspace own = factory.create(ref("listers"), createCommand(null))) {
            ActionResult first = ws(own, "echo a > small.txt");
            assertThat(first.getStateChanges().getCreated()).containsExactly("small.txt");
            assertThat(ws(own, "cat /tmp/.mechanize/observe/lister").getOutput())
                    .as("a small tree is listed by the resident lister").isEqualTo("p\n");

            ActionResult grown = ws(own, "mkdir many && for i in $(seq 2500); do : > many/f$i; done");
            assertThat(grown.getStateChanges().getCreated()).hasSize(1000).allMatch(p -> p.startsWith("many/f"));
            assertThat(ws(own, "cat /tmp/.mechanize/observe/lister").getOutput())
                    .as("a large tree is listed by find").isEqualTo("f\n");
            ActionResult afterSwitch = ws(own, "echo b >> small.txt");
            assertThat(afterSwitch.getStateChanges().getModified()).as("no file seen changed by the switch")
                    .containsExactly("small.txt");
            assertThat(afterSwitch.getStateChanges().getCreated()).isEmpty();

            ActionResult shrunk = ws(own, "rm -r many");
            assertThat(shrunk.getStateChanges().getDeleted()).hasSize(1000);
            ActionResult back = ws(own, "echo c >> small.txt");
            assertThat(back.getStateChanges().getModified()).containsExactly("small.txt");
            assertThat(ws(own, "cat /tmp/.mechanize/observe/lister").getOutput()).isEqualTo("p\n");

            // the agent kills every perl it can see: the session starts a new lister and misses nothing
            ActionResult killed = ws(own, "pkill -KILL -x perl; echo d >> small.txt; : > other.txt");
            assertThat(killed.getStateChanges().getModified()).containsExactly("small.txt");
            assertThat(killed.getStateChanges().getCreated()).containsExactly("other.txt");
            ActionResult after = ws(own, "rm other.txt");
            assertThat(after.getStateChanges().getDeleted()).containsExactly("other.txt");
            assertThat(after.getStateChanges().getModified()).isEmpty();

            // a lister that lives but never answers (stopped) costs one action a bounded wait, not the session
            ActionResult stopped = ws(own, "pkill -STOP -x perl; echo e >> small.txt; echo done");
            assertThat(stopped.getSuccess()).as(stopped.toString()).isTrue();
            assertThat(stopped.getOutput()).isEqualTo("done\n");
            ActionResult next = ws(own, "echo f >> small.txt");
            assertThat(next.getStateChanges().getModified()).containsExactly("small.txt");
            ActionResult last = ws(own, "echo g >> small.txt");
            assertThat(last.getStateChanges().getModified()).containsExactly("small.txt");
            assertThat(ws(own, "cat /tmp/.mechanize/observe/lister").getOutput()).isEqualTo("p\n");
        }
    }

    @Test
    void aSnapshotLargerThanAMebibyteStreamsInByteExactAndTheSessionStaysInStep() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024 + 7];
        new java.util.Random(42).nextBytes(big);
        InlineSnapshot snapshot = InlineSnapshot.newBuilder()
                .setFiles(Map.of("small.txt", "s\n"))
                .setBinaryFiles(Map.of("blob.bin", ByteBuffer.wrap(big)))
                .build();
        try (Workspace own = factory.create(ref("big-snapshot"), createCommand(snapshot))) {
            String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(big));
            assertThat(ws(own, "sha256sum blob.bin | cut -d' ' -f1").getOutput()).isEqualTo(sha + "\n");
            assertThat(ws(own, "cat small.txt; cat /tmp/.mechanize-pristine/small.txt").getOutput()).isEqualTo("s\ns\n");
            assertThat(ws(own, "echo next").getOutput()).isEqualTo("next\n");
        }
    }

    @Test
    void aMissingImageIsAClearCreateFailure() {
        CreateWorkspace command = createCommand(null);
        command.setImage("mechanize/no-such-image:latest");
        int before = factory.heldContainers();
        assertThatThrownBy(() -> factory.create(ref("no-image"), command))
                .isInstanceOf(WorkspaceException.class)
                .hasMessageContaining("image mechanize/no-such-image:latest is not present on the Docker engine")
                .hasMessageContaining("docker build -t")
                .extracting(e -> ((WorkspaceException) e).stage()).isEqualTo("create");
        assertThat(factory.heldContainers()).isEqualTo(before);
    }

    @Test
    void removeOrphansRemovesContainersOfDeadWorkersButNotOwnOnesBeingCreated() {
        String dead = "dead-worker-" + UUID.randomUUID();
        String orphan = engine.client().createContainerCmd("mechanize/dev-env:latest")
                .withLabels(Map.of("mechanize.managed", "true", "mechanize.worker", dead,
                        "mechanize.workspace", "orphan", "mechanize.test", "true"))
                .withEntrypoint("true")
                .exec().getId();
        // one of this worker's own that no workspace uses, but just created: under load a lane may
        // not have heard back from the engine yet, so it is not an orphan (yet)
        String young = engine.client().createContainerCmd("mechanize/dev-env:latest")
                .withLabels(Map.of("mechanize.managed", "true", "mechanize.worker", workerId,
                        "mechanize.workspace", "being-created", "mechanize.test", "true"))
                .withEntrypoint("true")
                .exec().getId();
        try {
            int removed = factory.removeOrphans(Set.of(workerId), Set.of());
            assertThat(removed).isGreaterThanOrEqualTo(1);
            assertThatThrownBy(() -> engine.client().inspectContainerCmd(orphan).exec()).isInstanceOf(NotFoundException.class);
            assertThat(engine.client().inspectContainerCmd(ws.containerId()).exec().getState().getRunning()).isTrue();
            assertThat(engine.client().inspectContainerCmd(young).exec().getId()).isEqualTo(young);
        } finally {
            for (String id : List.of(orphan, young)) {
                try {
                    engine.client().removeContainerCmd(id).withForce(true).exec();
                } catch (NotFoundException alreadyGone) {
                    // removed by the code under test
                }
            }
        }
    }

    // ---- helpers

    private ActionResult run(String command) throws WorkspaceException {
        return ws(ws, command);
    }

    private ActionResult ws(Workspace workspace, String command) throws WorkspaceException {
        return workspace.execute(action(TerminalCommandAction.newBuilder().setCommand(command).setTimeout(20).build()), actions++);
    }

    private ActionResult read(String path, List<Integer> range) throws WorkspaceException {
        return file(edit(path, "read").setLineRange(range).build());
    }

    private ActionResult file(FileEditAction edit) throws WorkspaceException {
        return ws.execute(action(edit), actions++);
    }

    private static FileEditAction.Builder edit(String path, String operation) {
        return FileEditAction.newBuilder().setFilePath(path).setOperation(operation);
    }

    private static Action action(Object payload) {
        return Action.newBuilder().setActionId("a-" + UUID.randomUUID()).setPayload(payload).build();
    }

    private static EvaluationCriterion criterion(String name, String command) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setName(name).setCommand(command).build();
    }

    private WorkspaceRef ref(String workspaceId) {
        return new WorkspaceRef(workspaceId, "run-it", workerId);
    }

    private static InlineSnapshot inlineSnapshot() {
        return InlineSnapshot.newBuilder()
                .setFiles(Map.of("src/app.py", "print('hello')\n", "README.md", "line1\nline2\nline3\nline4\n",
                        LONG_PATH, "pax\n"))
                .setBinaryFiles(Map.of("bin/data.bin", ByteBuffer.wrap(new byte[] {0, (byte) 0xff, 0x10})))
                .build();
    }

    private static CreateWorkspace createCommand(InlineSnapshot snapshot) {
        return CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId("task-it").setSnapshot(snapshot)
                        .setEvaluationCriteria(List.of()).build())
                .setLimits(ResourceLimits.newBuilder().setMemoryMb(256).setPidsLimit(128).build())
                .setPolicy(SandboxPolicy.newBuilder().build())
                .build();
    }
}
