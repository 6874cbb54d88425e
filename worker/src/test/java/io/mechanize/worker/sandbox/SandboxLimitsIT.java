package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.actions.DockerWorkspace;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The persistent shell session and what every action reports (usage, changed files, each limit
 * that bit), against the real engine. Every test ends by showing that the workspace still works.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxLimitsIT {
    private static final Map<String, String> TEST_LABELS = Map.of("mechanize.test", "true");
    private final String workerId = "it-limits-" + UUID.randomUUID();
    private DockerEngine engine;
    private DockerWorkspaceFactory factory;
    private Workspace ws;
    private int actions;

    @BeforeAll
    void start() throws Exception {
        engine = DockerEngine.fromEnvironment();
        factory = new DockerWorkspaceFactory(engine, workerId, TEST_LABELS, DockerWorkspace::new, Clock.systemUTC());
        ws = factory.create(new WorkspaceRef("limits", "run-it", workerId), command(128, 0.5, 64, 16));
    }

    @AfterAll
    void stop() {
        if (factory != null) {
            factory.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void cdAndExportCarryOverAndANamedSessionIsIndependent() throws Exception {
        assertThat(sh("mkdir -p a/b && cd a/b && export FOO=bar && X=local").getSuccess()).isTrue();
        assertThat(sh("pwd; echo \"$FOO\"").getOutput()).isEqualTo("/workspace/a/b\nbar\n");
        assertThat(sh(cmd("pwd; echo \"${FOO-unset}\"").setSession("other")).getOutput()).isEqualTo("/workspace\nunset\n");
        ActionResult envOnly = sh(cmd("echo \"$ONE\"; pwd").setEnv(Map.of("ONE", "1")).setWorkingDir("a"));
        assertThat(envOnly.getOutput()).isEqualTo("1\n/workspace/a\n");
        assertThat(sh("echo \"${ONE-unset}\"; pwd; cd /workspace").getOutput()).isEqualTo("unset\n/workspace/a/b\n");
    }

    @Test
    void stdoutAndStderrStayApartAndExitIsSurvived() throws Exception {
        ActionResult apart = sh("echo out; echo err >&2; printf 'no newline'; echo ünïcode >&2");
        assertThat(apart.getOutput()).isEqualTo("out\nno newline");
        assertThat(apart.getStderr()).isEqualTo("err\nünïcode\n");
        ActionResult exit = sh("cd /tmp; exit 7");
        assertThat(exit.getExitCode()).isEqualTo(7);
        assertThat(exit.getErrorMessage()).isEqualTo("command exited with code 7");
        assertThat(sh("pwd; cd /workspace").getOutput()).isEqualTo("/tmp\n");
        // a command that replaces its shell leaves no exit code of its own behind: the process's is used
        assertThat(sh("exec sh -c 'exit 5'").getExitCode()).isEqualTo(5);
        assertThat(sh("kill -TERM $BASHPID").getExitCode()).isEqualTo(143);
        assertThat(sh("false").getExitCode()).isEqualTo(1);
        assertThat(sh("set -e; false; echo not reached").getExitCode()).isEqualTo(1);
    }

    @Test
    void aSessionKilledFromInsideIsRestartedAndSaysSo() throws Exception {
        sh("cd /workspace && mkdir -p keep && cd keep");
        // the session's driver dies under the command (commands run in its forked subshells)
        ActionResult killer = sh("kill -KILL \"$(cat /tmp/.mechanize/sessions/default/driver.pid)\"; sleep 0.5; echo after");
        assertThat(killer.getErrorMessage()).contains("the shell session 'default' died while running the command");
        ActionResult next = sh("pwd; cd /workspace");
        assertThat(next.getSuccess()).isTrue();
        assertThat(next.getOutput()).isEqualTo("/workspace/keep\n");
    }

    @Test
    void aTimeoutKillsTheGroupKeepsOutputAndTheSession() throws Exception {
        ActionResult slow = sh(cmd("echo before; (sleep 30; echo late) & sleep 30").setTimeout(1));
        assertThat(slow.getOutput()).isEqualTo("before\n");
        assertThat(types(slow)).containsExactly(ViolationType.TIMEOUT);
        assertThat(sh("ps -eo args | grep -c '^sleep 30' || true").getOutput().strip()).isEqualTo("0");
        assertThat(sh("echo alive").getOutput()).isEqualTo("alive\n");
    }

    @Test
    void everyActionReportsItsUsageAndChanges() throws Exception {
        sh("echo old > old.txt; echo gone > gone.txt");
        ActionResult busy = sh("echo new > new.txt; echo more >> old.txt; rm gone.txt; "
                + "timeout 1 sh -c 'while :; do :; done' || true");
        assertThat(busy.getStateChanges().getCreated()).contains("new.txt");
        assertThat(busy.getStateChanges().getModified()).contains("old.txt");
        assertThat(busy.getStateChanges().getDeleted()).contains("gone.txt");
        // cpu_cores 0.5: a one-second busy loop gets about half a second of CPU
        assertThat(busy.getResourceUsage().getCpuTimeMs()).isBetween(300L, 700L);
        assertThat(busy.getResourceUsage().getPeakMemoryBytes()).isPositive();
        assertThat(busy.getResourceUsage().getPeakPids()).isGreaterThanOrEqualTo(3);
        assertThat(busy.getResourceUsage().getWorkspaceBytes()).isPositive();
        ActionResult read = ws.execute(action(FileEditAction.newBuilder().setFilePath("new.txt").setOperation("read").build()), actions++);
        assertThat(read.getStateChanges().getCreated()).isEmpty();
        assertThat(read.getResourceUsage().getPeakPids()).isPositive();
        sh("rm -f old.txt new.txt");
    }

    @Test
    void aMemoryBombIsOomKilled() throws Exception {
        ActionResult bomb = sh("python3 -c 'b = bytearray(256 * 1024 * 1024); print(len(b))'");
        assertThat(bomb.getExitCode()).isEqualTo(137);
        assertThat(types(bomb)).contains(ViolationType.OOM_KILLED);
        assertThat(bomb.getResourceUsage().getPeakMemoryBytes()).isGreaterThan(100L * 1024 * 1024);
        assertStillWorks();
    }

    @Test
    void aForkBombIsBoundedByThePidsLimit() throws Exception {
        ActionResult bomb = sh(cmd("for i in $(seq 200); do sleep 5 & done; wait").setTimeout(20));
        assertThat(types(bomb)).contains(ViolationType.PIDS_LIMIT);
        assertThat(bomb.getResourceUsage().getPeakPids()).isBetween(50, 64);
        assertStillWorks();
    }

    @Test
    void fillingTheWorkspaceIsADiskQuotaViolation() throws Exception {
        ActionResult fill = sh("head -c 20000000 /dev/zero > big.bin");
        assertThat(fill.getSuccess()).isFalse();
        assertThat(types(fill)).containsExactly(ViolationType.DISK_QUOTA);
        assertThat(fill.getResourceUsage().getWorkspaceBytes()).isGreaterThan(15L * 1024 * 1024);
        ActionResult rm = sh("rm big.bin");
        assertThat(rm.getStateChanges().getDeleted()).containsExactly("big.bin");
    }

    @Test
    void writingTheRootIsReadOnlyFs() throws Exception {
        ActionResult write = sh("echo x > /usr/owned");
        assertThat(types(write)).containsExactly(ViolationType.READ_ONLY_FS);
        assertStillWorks();
    }

    @Test
    void anOutputFloodIsAnOutputLimit() throws Exception {
        ActionResult flood = sh("head -c 300000 /dev/zero | tr '\\0' e >&2; echo done");
        assertThat(flood.getOutput()).isEqualTo("done\n");
        assertThat(flood.getOutputTruncated()).isTrue();
        assertThat(types(flood)).containsExactly(ViolationType.OUTPUT_LIMIT);
        assertThat(flood.getStderr()).contains("bytes truncated").hasSizeLessThan(65536 + 100);
    }

    @Test
    void aConnectionWithoutANetworkIsDenied() throws Exception {
        // only lo exists: the kernel refuses a route to any outside address locally, nothing is sent
        assertThat(sh("ls /sys/class/net").getOutput()).isEqualTo("lo\n");
        assertThat(sh("ip route 2>/dev/null; cat /proc/net/route | wc -l").getOutput().strip()).isEqualTo("1");
        ActionResult connect = sh("python3 -c 'import socket; socket.create_connection((\"198.51.100.1\", 80), timeout=2)'");
        assertThat(connect.getStderr()).contains("Network is unreachable");
        assertThat(types(connect)).containsExactly(ViolationType.NETWORK_DENIED);
        assertStillWorks();
    }

    @Test
    void anEscapingWorkingDirIsRefused() throws Exception {
        for (String dir : List.of("..", "/etc", "../etc")) {
            ActionResult r = sh(cmd("pwd").setWorkingDir(dir));
            assertThat(types(r)).as(dir).containsExactly(ViolationType.PATH_ESCAPE);
            assertThat(r.getOutput()).as(dir).isEmpty();
        }
    }

    @Test
    void workspacesCannotSeeOrTouchEachOther() throws Exception {
        try (Workspace other = factory.create(new WorkspaceRef("limits-other", "run-it", workerId), command(128, 1, 64, 16))) {
            sh("echo mine > secret.txt; sleep 20 &");
            ActionResult ps = other.execute(action(cmd("ps -eo args").build()), 0);
            assertThat(ps.getOutput()).doesNotContain("sleep 20").doesNotContain("secret");
            ActionResult look = other.execute(action(cmd("cat /workspace/secret.txt; echo theirs > /workspace/secret.txt; cat secret.txt").build()), 1);
            assertThat(look.getOutput()).isEqualTo("theirs\n");
            assertThat(sh("cat secret.txt; pkill -f 'sleep 20'; rm secret.txt").getOutput()).isEqualTo("mine\n");
        }
    }

    // ---- helpers

    private void assertStillWorks() throws WorkspaceException {
        ActionResult next = sh("echo ok");
        assertThat(next.getSuccess()).as(next.toString()).isTrue();
        assertThat(next.getOutput()).isEqualTo("ok\n");
    }

    private static List<ViolationType> types(ActionResult result) {
        return result.getSecurityViolations().stream().map(SecurityViolation::getType).toList();
    }

    private ActionResult sh(String command) throws WorkspaceException {
        return sh(cmd(command));
    }

    private ActionResult sh(TerminalCommandAction.Builder command) throws WorkspaceException {
        return ws.execute(action(command.build()), actions++);
    }

    private static TerminalCommandAction.Builder cmd(String command) {
        return TerminalCommandAction.newBuilder().setCommand(command).setTimeout(30);
    }

    private static Action action(Object payload) {
        return Action.newBuilder().setActionId("a-" + UUID.randomUUID()).setPayload(payload).build();
    }

    private static CreateWorkspace command(int memoryMb, double cpus, int pids, int diskMb) {
        return CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId("task-limits").setEvaluationCriteria(List.of()).build())
                .setLimits(ResourceLimits.newBuilder().setMemoryMb(memoryMb).setCpuCores(cpus).setPidsLimit(pids)
                        .setWorkspaceDiskMb(diskMb).build())
                .setPolicy(SandboxPolicy.newBuilder().build())
                .build();
    }
}
