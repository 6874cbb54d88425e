package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerSpecTest {
    private static final WorkspaceRef REF = new WorkspaceRef("ws-1", "run-1", "worker-1");

    @Test
    void appliesEveryHardeningFlag() {
        CreateContainerCmd cmd = spec(SandboxPolicy.newBuilder().build())
                .applyTo(new CreateContainerCmdImpl(c -> null, null, "ignored"));
        HostConfig host = cmd.getHostConfig();

        assertThat(cmd.getImage()).isEqualTo("mechanize/dev-env:latest");
        assertThat(cmd.getUser()).isEqualTo("1000:1000");
        assertThat(cmd.getWorkingDir()).isEqualTo("/workspace");
        assertThat(cmd.getEntrypoint()).containsExactly("sleep");
        assertThat(cmd.getCmd()).containsExactly("infinity");
        assertThat(cmd.getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "mechanize.managed", "true", "mechanize.workspace", "ws-1", "mechanize.run", "run-1",
                "mechanize.worker", "worker-1", "mechanize.test", "true"));
        assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(host.getCapAdd()).isNull();
        assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(host.getReadonlyRootfs()).isTrue();
        assertThat(host.getPrivileged()).isFalse();
        assertThat(host.getTmpFs()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "/workspace", "rw,exec,nosuid,nodev,size=" + 300L * 1024 * 1024 + ",uid=1000,gid=1000,mode=0755",
                "/tmp", "rw,noexec,nosuid,nodev,size=" + 40L * 1024 * 1024 + ",mode=1777"));
        assertThat(host.getMemory()).isEqualTo(256L * 1024 * 1024);
        assertThat(host.getMemorySwap()).isEqualTo(host.getMemory());
        assertThat(host.getNanoCPUs()).isEqualTo(1_500_000_000L);
        assertThat(host.getPidsLimit()).isEqualTo(64L);
        assertThat(host.getNetworkMode()).isEqualTo("none");
        assertThat(host.getIpcMode()).isEqualTo("private");
        assertThat(host.getInit()).isTrue();
        assertThat(host.getRuntime()).isNull();
        assertThat(host.getBinds()).isEmpty();
        assertThat(host.getMounts()).isNull();
        assertThat(cmd.getVolumes()).isEmpty();
        assertThat(host.getPortBindings()).isNull();
    }

    @Test
    void passesTheRuntimeOfThePolicy() {
        CreateContainerCmd cmd = spec(SandboxPolicy.newBuilder().setRuntime("runsc").build())
                .applyTo(new CreateContainerCmdImpl(c -> null, null, "ignored"));
        assertThat(cmd.getHostConfig().getRuntime()).isEqualTo("runsc");
    }

    @Test
    void refusesNetworkAccessItCannotGiveYet() {
        assertThatThrownBy(() -> spec(SandboxPolicy.newBuilder().setAllowNetwork(true).build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("allow_network=true is not supported yet");
    }

    @Test
    void refusesLimitsOutOfRange() {
        assertThatThrownBy(() -> new ContainerSpec("img", Map.of(), 1024, 1, 1, 1, 1, null, "none"))
                .hasMessageContaining("memory limit must be at least 6 MiB, was 1024 bytes");
        assertThatThrownBy(() -> new ContainerSpec("img", Map.of(), 64L << 20, 1, 0, 1, 1, null, "none"))
                .hasMessageContaining("pidsLimit must be > 0, was 0");
        assertThatThrownBy(() -> new ContainerSpec("img", Map.of(), 64L << 20, 1, 1, 1, 1, " ", "none"))
                .hasMessageContaining("runtime is blank");
    }

    private static ContainerSpec spec(SandboxPolicy policy) {
        CreateWorkspace command = CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId("t").setEvaluationCriteria(List.of()).build())
                .setLimits(ResourceLimits.newBuilder().setMemoryMb(256).setCpuCores(1.5).setPidsLimit(64)
                        .setWorkspaceDiskMb(300).setTmpDiskMb(40).build())
                .setPolicy(policy)
                .build();
        return ContainerSpec.forWorkspace(REF, command, Map.of("mechanize.test", "true"));
    }
}
