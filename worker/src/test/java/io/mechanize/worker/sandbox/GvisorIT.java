package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A workspace under gVisor ({@code policy.runtime = runsc}, registered as {@code .ci/run} does:
 * {@code --platform=ptrace --network=none}).
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GvisorIT {
    private final SandboxFixture fx = new SandboxFixture();
    private Workspace ws;
    private String containerId;

    @BeforeAll
    void startUnderGvisor() throws Exception {
        ws = fx.factory.create(ref("gvisor"), command(SandboxPolicy.newBuilder().setRuntime("runsc").build()));
        containerId = fx.engine.client().listContainersCmd()
                .withLabelFilter(Map.of("mechanize.workspace", "gvisor", "mechanize.worker", fx.workerId))
                .exec().getFirst().getId();
    }

    @AfterAll
    void close() {
        fx.close();
    }

    @Test
    void itRunsUnderRunscAndTheKernelItSeesIsGvisor() throws Exception {
        InspectContainerResponse inspect = fx.engine.client().inspectContainerCmd(containerId).exec();
        assertThat(inspect.getHostConfig().getRuntime()).isEqualTo("runsc");
        assertThat(fx.sh(ws, "dmesg").getOutput()).contains("gVisor");
    }

    @Test
    void theHardeningStillApplies() throws Exception {
        InspectContainerResponse inspect = fx.engine.client().inspectContainerCmd(containerId).exec();
        assertThat(inspect.getHostConfig().getReadonlyRootfs()).isTrue();
        assertThat(inspect.getHostConfig().getNetworkMode()).isEqualTo("none");
        assertThat(fx.sh(ws, "grep -E '^(Uid|CapEff):' /proc/self/status").getOutput())
                .containsPattern("Uid:\\s+1000\\s+1000")
                .containsPattern("CapEff:\\s+0000000000000000");
        ActionResult touch = fx.sh(ws, "touch /etc/x");
        assertThat(touch.getSuccess()).isFalse();
        assertThat(fx.sh(ws, "test -e /var/run/docker.sock").getExitCode()).isEqualTo(1);
        assertThat(fx.sh(ws, "ls /sys/class/net 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1")
                .getOutput()).doesNotContain("eth0");
    }

    @Test
    void withoutNetworkItHasNoEngineNetworkButLoopbackAndLocalhost() throws Exception {
        // as under runc: networking disabled, so the engine made no libnetwork sandbox or endpoint
        InspectContainerResponse inspect = fx.engine.client().inspectContainerCmd(containerId).exec();
        assertThat(inspect.getConfig().getNetworkDisabled()).isTrue();
        assertThat(inspect.getNetworkSettings().getNetworks()).isEmpty();
        assertThat(inspect.getNetworkSettings().getSandboxKey()).isNullOrEmpty();
        assertThat(inspect.getHostConfig().getMounts()).singleElement()
                .satisfies(m -> assertThat(m.getTarget()).isEqualTo("/etc/hosts"));
        // gVisor's netstack (--network=none): loopback only, and localhost from the read-only hosts file
        assertThat(fx.sh(ws, "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '").getOutput()).isEqualTo("lo\n");
        assertThat(fx.sh(ws, "python3 -c 'import socket; print(sorted({a[4][0] for a in socket.getaddrinfo(\"localhost\", 80)}))'")
                .getOutput()).isEqualTo("['127.0.0.1', '::1']\n");
        ActionResult loop = fx.sh(ws, "python3 -c 'import socket; s = socket.create_server((\"localhost\", 0)); "
                + "c = socket.create_connection((\"localhost\", s.getsockname()[1]), timeout=2); "
                + "a, _ = s.accept(); c.sendall(b\"ping\"); print(a.recv(4).decode())'");
        assertThat(loop.getOutput()).as(loop.getStderr()).isEqualTo("ping\n");
        assertThat(fx.sh(ws, "echo x >> /etc/hosts").getSuccess()).as("the hosts file is read-only").isFalse();
    }

    @Test
    void terminalCommandsKeepTheirSessionAndFileEditsWork() throws Exception {
        assertThat(fx.sh(ws, "mkdir -p sub && cd sub && export GREETING=hi").getSuccess()).isTrue();
        assertThat(fx.sh(ws, "pwd; echo $GREETING").getOutput()).isEqualTo("/workspace/sub\nhi\n");

        ActionResult write = fx.run(ws, SandboxFixture.edit("notes/n.txt", "write").setContent("one\ntwo\n").build());
        assertThat(write.getSuccess()).as(write.getErrorMessage()).isTrue();
        ActionResult replace = fx.run(ws, SandboxFixture.edit("notes/n.txt", "str_replace").setOldStr("two")
                .setNewStr("three").build());
        assertThat(replace.getSuccess()).as(replace.getErrorMessage()).isTrue();
        assertThat(fx.run(ws, SandboxFixture.edit("notes/n.txt", "read").build()).getOutput()).isEqualTo("one\nthree\n");
        assertThat(fx.sh(ws, "cat /workspace/a.txt").getOutput()).isEqualTo("a\n");
    }

    @Test
    void fileChangesAreReportedThoughCgroupUsageIsNotMeasurable() throws Exception {
        ActionResult created = fx.sh(ws, "echo x > /workspace/made-by-shell.txt");
        assertThat(created.getStateChanges().getCreated()).contains("made-by-shell.txt");
        // gVisor shows no cgroup: the usage is left unmeasured (zeros), not made up
        assertThat(fx.sh(ws, "ls /sys/fs/cgroup").getSuccess()).isFalse();
        assertThat(created.getResourceUsage().getPeakMemoryBytes()).isZero();
    }

    @Test
    void gvisorWithNetworkIsRefusedWithTheReason() {
        assertThatThrownBy(() -> fx.factory.create(ref("gvisor-net"),
                command(SandboxPolicy.newBuilder().setRuntime("runsc").setAllowNetwork(true).build())))
                .isInstanceOf(WorkspaceException.class)
                .hasMessageContaining("policy.runtime=runsc cannot be combined with allow_network=true")
                .hasMessageContaining("--network=none");
        assertThat(fx.engine.client().listNetworksCmd()
                .withFilter("label", List.of("mechanize.workspace=gvisor-net", "mechanize.worker=" + fx.workerId))
                .exec()).isEmpty();
    }

    private WorkspaceRef ref(String id) {
        return new WorkspaceRef(id, "run-it", fx.workerId);
    }

    private static CreateWorkspace command(SandboxPolicy policy) {
        CreateWorkspace command = SandboxFixture.command(InlineSnapshot.newBuilder().setFiles(Map.of("a.txt", "a\n")).build());
        command.setPolicy(policy);
        return command;
    }
}
