package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.TestRunAction;
import io.mechanize.worker.actions.DockerWorkspace;
import io.mechanize.worker.toolkit.Helper;
import io.mechanize.worker.toolkit.HelperReply;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The helper that the default shell session keeps for file, git and IDE actions and for reading a
 * test run's report, against the real engine: one process serves every request, an agent that
 * kills or stops it costs at most one request's timeout, never the workspace's file actions, and
 * its answers stay whole under load.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResidentHelperIT {
    /** Matches the resident helper's command line (shell-driver.sh's bootstrap), nothing else. */
    private static final String HELPER_PATTERN = "'exec\\(open\\(sys\\.argv'";
    /** The container of the workspace opened last. */
    private final AtomicReference<SandboxContainer> bound = new AtomicReference<>();
    private SandboxFixture fx;
    private int actions;

    @BeforeAll
    void start() {
        fx = new SandboxFixture((ref, command, container, files) -> {
            bound.set(container);
            return new DockerWorkspace(ref, command, container, files);
        });
    }

    @AfterAll
    void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    /** A workspace; its container is then in {@link #bound}, for a direct call with a short timeout. */
    private Workspace open(String id) throws WorkspaceException {
        return fx.create(id, null);
    }

    @Test
    void oneHelperProcessAnswersEveryFileActionAndItsChangesAreMeasured() throws Exception {
        try (Workspace ws = open("one-helper")) {
            ActionResult write = file(ws, SandboxFixture.edit("a.txt", "write").setContent("one\n").build());
            assertThat(write.getSuccess()).as(write.toString()).isTrue();
            assertThat(write.getStateChanges().getCreated()).containsExactly("a.txt");
            String first = helperPids(ws);
            assertThat(first).as("one resident helper after the first file action").matches("[0-9]+\n");

            ActionResult replace = file(ws, SandboxFixture.edit("a.txt", "str_replace").setOldStr("one").setNewStr("two").build());
            assertThat(replace.getStateChanges().getModified()).containsExactly("a.txt");
            assertThat(file(ws, SandboxFixture.edit("a.txt", "read").build()).getOutput()).isEqualTo("two\n");
            assertThat(helperPids(ws)).as("the same process answered the later actions").isEqualTo(first);
        }
    }

    @Test
    void aHelperTheAgentKillsIsStartedAgainByTheNextFileAction() throws Exception {
        try (Workspace ws = open("killed-helper")) {
            file(ws, SandboxFixture.edit("b.txt", "write").setContent("kept\n").build());
            String before = helperPids(ws);
            ActionResult kill = shell(ws, "pkill -KILL -f " + HELPER_PATTERN + "; sleep 0.2; pgrep -c -f " + HELPER_PATTERN);
            assertThat(kill.getOutput()).as("the agent killed it").isEqualTo("0\n");

            ActionResult read = file(ws, SandboxFixture.edit("b.txt", "read").build());
            assertThat(read.getSuccess()).as(read.toString()).isTrue();
            assertThat(read.getOutput()).isEqualTo("kept\n");
            assertThat(helperPids(ws)).matches("[0-9]+\n").isNotEqualTo(before);
        }
    }

    @Test
    void requestsSmallAndLargeWithMultibyteTextKeepTheSessionInStep() throws Exception {
        try (Workspace ws = open("request-sizes")) {
            // under the driver's own read (bytes, not characters, counted) and over it (head)
            String small = "é".repeat(1500);
            String large = "données\n".repeat(8000);
            assertThat(file(ws, SandboxFixture.edit("small.txt", "write").setContent(small).build()).getSuccess()).isTrue();
            assertThat(file(ws, SandboxFixture.edit("large.txt", "write").setContent(large).build()).getSuccess()).isTrue();
            assertThat(file(ws, SandboxFixture.edit("small.txt", "read").build()).getOutput()).isEqualTo(small);
            assertThat(shell(ws, "wc -c < large.txt").getOutput().strip())
                    .isEqualTo(String.valueOf(large.getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
            assertThat(shell(ws, "echo in step").getOutput()).isEqualTo("in step\n");
        }
    }

    @Test
    void aHelperStartedAgainRunsTheSourceTheDriverKeptNotAFileTheAgentWrote() throws Exception {
        try (Workspace ws = open("planted-source")) {
            file(ws, SandboxFixture.edit("d.txt", "write").setContent("real\n").build());
            // the agent plants a broken helper where the next one's source will be written, and
            // overwrites every source file there is, then kills the helper
            ActionResult plant = shell(ws, "cd /tmp/.mechanize/observe && for f in helper.*.src; do b=${f%.src}; "
                    + "echo 'raise SystemExit(3)' > \"${b%.*}.$((${b##*.} + 1)).src\"; echo 'raise SystemExit(3)' > \"$f\"; "
                    + "done; ls helper.*.src | wc -l; pkill -KILL -f " + HELPER_PATTERN + "; sleep 0.2");
            assertThat(plant.getOutput()).as("a source file there to plant next to").isEqualTo("2\n");

            ActionResult read = file(ws, SandboxFixture.edit("d.txt", "read").build());
            assertThat(read.getSuccess()).as(read.toString()).isTrue();
            assertThat(read.getOutput()).isEqualTo("real\n");
        }
    }

    @Test
    void aStoppedHelperCostsOneRequestItsTimeoutNotTheWorkspace() throws Exception {
        try (Workspace ws = open("stopped-helper")) {
            SandboxContainer container = bound.get();
            file(ws, SandboxFixture.edit("c.txt", "write").setContent("still here\n").build());
            shell(ws, "pkill -STOP -f " + HELPER_PATTERN);

            long started = System.nanoTime();
            HelperReply stuck = Helper.inSession(container).call(Map.of("op", "exists", "path", "c.txt"),
                    Duration.ofSeconds(2), 65536);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(stuck.ok()).isFalse();
            assertThat(stuck.error()).contains("took longer than 2s");
            assertThat(took).isLessThan(Duration.ofSeconds(10));

            ActionResult read = file(ws, SandboxFixture.edit("c.txt", "read").build());
            assertThat(read.getSuccess()).as(read.toString()).isTrue();
            assertThat(read.getOutput()).isEqualTo("still here\n");
            assertThat(shell(ws, "echo $((1 + 1))").getOutput()).as("the session itself goes on").isEqualTo("2\n");
        }
    }

    @Test
    void anAgentThatDrainsTheSessionsFifosCostsNoRequestItsTimeout() throws Exception {
        try (Workspace ws = open("drained-fifos")) {
            SandboxContainer container = bound.get();
            file(ws, SandboxFixture.edit("d.txt", "write").setContent("0\n").build());
            // a reader on the fifos that wake the driver (the helper's and the lister's replies, a
            // command's end) takes the lines meant for it, as bash's read -t can lose a byte of
            // them: the driver must neither depend on them nor block on a line another took
            ActionResult drain = shell(ws, "for f in /tmp/.mechanize/observe/*.out " + ShellSession.STATE_ROOT
                    + SandboxContainer.DEFAULT_SESSION + "/done; do setsid cat \"$f\" > /dev/null 2>&1 < /dev/null & done; sleep 0.2; pgrep -c -x cat");
            assertThat(drain.getOutput()).as("one reader on each of the three fifos").isEqualTo("3\n");

            long started = System.nanoTime();
            for (int i = 1; i <= 5; i++) {
                HelperReply reply = Helper.inSession(container).call(Map.of("op", "exists", "path", "d.txt"),
                        Duration.ofSeconds(2), 65536);
                assertThat(reply.ok()).as("request %d: %s", i, reply.error()).isTrue();
                ActionResult append = shell(ws, "echo " + i + " >> d.txt");
                assertThat(append.getStateChanges().getModified()).containsExactly("d.txt");
            }
            // ten requests take well under a second; a reply that waited for its fifo took the
            // helper's request its 2 s and the lister's its 10 s
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
            assertThat(file(ws, SandboxFixture.edit("d.txt", "read").build()).getOutput()).isEqualTo("0\n1\n2\n3\n4\n5\n");
        }
    }

    @Test
    void theHelperDoesNotRunWithTheAgentsDirectoryOrVariables() throws Exception {
        try (Workspace ws = open("helper-state")) {
            shell(ws, "mkdir -p sub && cd sub && export PATH=/nowhere");
            // git through the session's helper finds git on the container's PATH and works in /workspace
            ActionResult init = shell(ws, "cd /workspace && /usr/bin/git init -q . && echo ok");
            assertThat(init.getOutput()).isEqualTo("ok\n");
            ActionResult write = file(ws, SandboxFixture.edit("top.txt", "write").setContent("x\n").build());
            assertThat(write.getStateChanges().getCreated()).containsExactly("top.txt");
            ActionResult status = ws.execute(Action.newBuilder().setActionId("git-" + actions)
                    .setPayload(io.mechanize.schemas.avro.GitOperationAction.newBuilder().setOperation("status").build())
                    .build(), actions++);
            assertThat(status.getSuccess()).as(status.toString()).isTrue();
            assertThat(status.getOutput()).contains("top.txt");
        }
    }

    @Test
    void concurrentTestRunsGetTheirReportsThroughTheHelper() throws Exception {
        // under load, the driver's poll of the helper's exit code can time out between the code and
        // its newline; the code must survive that (it was lost once in a few dozen of these)
        List<java.util.concurrent.Future<?>> runs = new java.util.ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 4; t++) {
                int thread = t;
                runs.add(threads.submit(() -> {
                    for (int i = 0; i < 6; i++) {
                        try (Workspace ws = fx.create("pytest-" + thread + "-" + i, InlineSnapshot.newBuilder().setFiles(Map.of(
                                "calc.py", "def add(a, b):\n    return a - b\n",
                                "test_calc.py", "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"))
                                .build())) {
                            ActionResult run = ws.execute(Action.newBuilder().setActionId("t").setPayload(TestRunAction.newBuilder()
                                    .setCommand("python3 -m pytest -q").setFramework("pytest").setTimeout(60).build()).build(), 0);
                            assertThat(run.getTestSummary().getFailed()).as(run.toString()).isEqualTo(1);
                            assertThat(run.getTestSummary().getParseError()).isNull();
                        }
                    }
                    return null;
                }));
            }
            for (var run : runs) {
                run.get();
            }
        }
    }

    @Test
    void anIdleHelperExitsAndTheNextFileActionStartsAnotherEvenAsItLeaves() throws Exception {
        try (SandboxFixture idle = new SandboxFixture(DockerWorkspace::new, java.time.Duration.ofSeconds(1));
                Workspace ws = idle.create("idle-helper", null)) {
            assertThat(file(ws, SandboxFixture.edit("e.txt", "write").setContent("one\n").build()).getSuccess()).isTrue();
            assertThat(helperPids(ws)).as("a helper after the first file action").matches("[0-9]+\n");
            Thread.sleep(2500);
            assertThat(shell(ws, "pgrep -c -f " + HELPER_PATTERN + " || true").getOutput())
                    .as("it left after a second without a request").isEqualTo("0\n");

            // requests that come around the moment it leaves are answered all the same (one written
            // in the instant between its last look at the fifo and its exit goes to the next helper;
            // these requests come near that instant, but do not force it)
            for (int ms = 900; ms <= 1100; ms += 20) {
                Thread.sleep(ms);
                ActionResult read = file(ws, SandboxFixture.edit("e.txt", "read").build());
                assertThat(read.getSuccess()).as("after %d ms without a request: %s", ms, read).isTrue();
                assertThat(read.getOutput()).isEqualTo("one\n");
            }
            assertThat(shell(ws, "cd /tmp/.mechanize/observe && ls helper.*.src | wc -l").getOutput())
                    .as("only the last helper's files are left").isEqualTo("1\n");
        }
    }

    /** The pids of the resident helpers in the container, one per line. */
    private String helperPids(Workspace ws) throws WorkspaceException {
        return shell(ws, "pgrep -f " + HELPER_PATTERN).getOutput();
    }

    private ActionResult file(Workspace ws, FileEditAction edit) throws WorkspaceException {
        return ws.execute(Action.newBuilder().setActionId("f-" + actions).setPayload(edit).build(), actions++);
    }

    private ActionResult shell(Workspace ws, String command) throws WorkspaceException {
        return ws.execute(Action.newBuilder().setActionId("t-" + actions)
                .setPayload(TerminalCommandAction.newBuilder().setCommand(command).setTimeout(20).build()).build(), actions++);
    }
}
