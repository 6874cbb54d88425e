package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContainerSpecTest {
    private static final WorkspaceRef REF = new WorkspaceRef("ws-1", "run-1", "worker-1");
    private static final String HOSTS = "/var/lib/docker/volumes/mechanize-loopback-hosts/_data/hosts";

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
        assertThat(cmd.isNetworkDisabled()).as("no hosts file given: the engine's none network").isFalse();
    }

    @Test
    void theSessionsContainerTellsItsDriverTheHelpersIdleLimitInWholeSecondsRoundedUp() {
        ContainerSpec spec = spec(SandboxPolicy.newBuilder().build());
        assertThat(spec.applyToWithSession(new CreateContainerCmdImpl(c -> null, null, "ignored"), "/tmp/s",
                java.time.Duration.ofMinutes(2), null).getEnv()).contains("MZ_HELPER_IDLE_S=120");
        assertThat(spec.applyToWithSession(new CreateContainerCmdImpl(c -> null, null, "ignored"), "/tmp/s",
                java.time.Duration.ofMillis(300), null).getEnv()).as("not 0, which means never").contains("MZ_HELPER_IDLE_S=1");
        assertThat(spec.applyToWithSession(new CreateContainerCmdImpl(c -> null, null, "ignored"), "/tmp/s",
                java.time.Duration.ZERO, null).getEnv()).contains("MZ_HELPER_IDLE_S=0");
        assertThat(ContainerSpec.SESSION_ENV).as("blanked in every exec").contains("MZ_HELPER_IDLE_S");
    }

    @Test
    void passesTheRuntimeOfThePolicy() {
        CreateContainerCmd cmd = spec(SandboxPolicy.newBuilder().setRuntime("runsc").build())
                .applyTo(new CreateContainerCmdImpl(c -> null, null, "ignored"));
        assertThat(cmd.getHostConfig().getRuntime()).isEqualTo("runsc");
        assertThat(cmd.getHostConfig().getPidsLimit()).as("the gVisor kernel's threads count too").isEqualTo(64L + 256);
    }

    @Test
    void aRuntimeOtherThanRuncOrGvisorStaysOnTheEnginesNoneNetwork() {
        // untried with networking disabled (kata, say): the engine's none network, as before
        CreateContainerCmd cmd = spec(SandboxPolicy.newBuilder().setRuntime("kata-runtime").build())
                .applyTo(new CreateContainerCmdImpl(c -> null, null, "ignored"), HOSTS);
        assertThat(cmd.isNetworkDisabled()).isFalse();
        assertThat(cmd.getHostConfig().getNetworkMode()).isEqualTo("none");
        assertThat(cmd.getHostConfig().getMounts()).isNull();
    }

    /** Every combination of the policy's options keeps the hardening; only network and env change. */
    @ParameterizedTest(name = "allow_network={0} block_internal_ips={1} proxy={2} runtime={3}")
    @MethodSource("everyValidPolicy")
    void everyPolicyKeepsTheHardening(boolean network, boolean block, String proxy, String runtime) {
        SandboxPolicy policy = SandboxPolicy.newBuilder().setAllowNetwork(network).setBlockInternalIps(block)
                .setProxyUrl(proxy).setRuntime(runtime).build();
        CreateContainerCmd cmd = spec(policy).applyTo(new CreateContainerCmdImpl(c -> null, null, "ignored"), HOSTS);
        HostConfig host = cmd.getHostConfig();
        // no network under runc or gVisor: no libnetwork at all, loopback only, and the hosts file read-only
        boolean disabled = !network;
        assertThat(cmd.isNetworkDisabled()).isEqualTo(disabled);
        if (disabled) {
            assertThat(host.getMounts()).singleElement().satisfies(m -> {
                assertThat(m.getType()).isEqualTo(MountType.BIND);
                assertThat(m.getSource()).isEqualTo(HOSTS);
                assertThat(m.getTarget()).isEqualTo("/etc/hosts");
                assertThat(m.getReadOnly()).isTrue();
            });
        } else {
            assertThat(host.getMounts()).isNull();
        }
        assertThat(host.getBinds()).isEmpty();

        assertThat(cmd.getUser()).isEqualTo("1000:1000");
        assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(host.getCapAdd()).isNull();
        assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(host.getReadonlyRootfs()).isTrue();
        assertThat(host.getPrivileged()).isFalse();
        assertThat(cmd.getVolumes()).isEmpty();
        assertThat(host.getPortBindings()).isNull();
        assertThat(host.getPublishAllPorts()).isFalse();
        assertThat(host.getInit()).isTrue();
        assertThat(host.getRuntime()).isEqualTo(runtime);
        assertThat(host.getPidsLimit()).isEqualTo(runtime == null ? 64L : 64L + 256);
        assertThat(host.getMemory()).isEqualTo(256L * 1024 * 1024);
        assertThat(host.getNetworkMode()).isEqualTo(network ? WorkspaceNetwork.forWorkspace(REF).name() : "none");
        if (proxy == null) {
            assertThat(cmd.getEnv()).isEmpty();
        } else {
            assertThat(cmd.getEnv()).containsExactlyInAnyOrder("HTTP_PROXY=" + proxy, "HTTPS_PROXY=" + proxy,
                    "http_proxy=" + proxy, "https_proxy=" + proxy, "NO_PROXY=localhost,127.0.0.1",
                    "no_proxy=localhost,127.0.0.1");
        }
    }

    static Stream<Arguments> everyValidPolicy() {
        List<Arguments> all = new ArrayList<>();
        for (boolean network : new boolean[] {false, true}) {
            for (boolean block : new boolean[] {false, true}) {
                for (String proxy : Arrays.asList(null, "http://10.1.2.3:3128")) {
                    for (String runtime : Arrays.asList(null, "runsc")) {
                        boolean refused = (proxy != null && !network) || (network && "runsc".equals(runtime));
                        if (!refused) {
                            all.add(Arguments.of(network, block, proxy, runtime));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    @Test
    void refusesGvisorWithNetworkBecauseRunscHereHasNone() {
        assertThatThrownBy(() -> spec(SandboxPolicy.newBuilder().setAllowNetwork(true).setRuntime("runsc").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("policy.runtime=runsc cannot be combined with allow_network=true");
    }

    @Test
    void refusesAProxyWithoutNetwork() {
        assertThatThrownBy(() -> spec(SandboxPolicy.newBuilder().setProxyUrl("http://proxy:3128").build()))
                .hasMessageContaining("policy.proxy_url needs allow_network=true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://proxy:21", "proxy:3128", "socks5://proxy:1080", "http://", "http://proxy:3128/path",
        "http://proxy:3128?x=1", "not a url"})
    void refusesAProxyUrlThatIsNotHttp(String url) {
        assertThatThrownBy(() -> spec(SandboxPolicy.newBuilder().setAllowNetwork(true).setProxyUrl(url).build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("policy.proxy_url")
                .hasMessageContaining("'" + url + "'");
    }

    @Test
    void aProxyPortDefaultsByScheme() {
        assertThat(ContainerSpec.proxyPort(ContainerSpec.proxyUri("http://proxy"))).isEqualTo(80);
        assertThat(ContainerSpec.proxyPort(ContainerSpec.proxyUri("https://proxy/"))).isEqualTo(443);
        assertThat(ContainerSpec.proxyPort(ContainerSpec.proxyUri("http://u:p@proxy:3128"))).isEqualTo(3128);
    }

    @Test
    void aNetworkIsNamedAfterItsWorkspaceAndWorker() {
        WorkspaceNetwork a = WorkspaceNetwork.forWorkspace(new WorkspaceRef("run-1/ws 7", "run-1", "worker-a"));
        WorkspaceNetwork b = WorkspaceNetwork.forWorkspace(new WorkspaceRef("run-1/ws 7", "run-1", "worker-b"));
        WorkspaceNetwork longId = WorkspaceNetwork.forWorkspace(new WorkspaceRef("x".repeat(300), "run-1", "worker-a"));

        assertThat(a.name()).matches("mechanize-run-1-ws-7-[0-9a-f]{8}");
        assertThat(a.bridge()).matches("mz-[0-9a-f]{12}").hasSize(15);
        assertThat(b.name()).isNotEqualTo(a.name());
        assertThat(b.bridge()).isNotEqualTo(a.bridge());
        assertThat(longId.name()).hasSize("mechanize-".length() + 40 + 9);
        assertThat(WorkspaceNetwork.forWorkspace(new WorkspaceRef("run-1/ws 7", "run-1", "worker-a"))).isEqualTo(a);
    }

    @Test
    void refusesLimitsOutOfRange() {
        assertThatThrownBy(() -> new ContainerSpec("img", Map.of(), 1024, 1, 1, 1, 1, null, "none", Map.of()))
                .hasMessageContaining("memory limit must be at least 6 MiB, was 1024 bytes");
        assertThatThrownBy(() -> new ContainerSpec("img", Map.of(), 64L << 20, 1, 0, 1, 1, null, "none", Map.of()))
                .hasMessageContaining("pidsLimit must be > 0, was 0");
        assertThatThrownBy(() -> new ContainerSpec("img", Map.of(), 64L << 20, 1, 1, 1, 1, " ", "none", Map.of()))
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
