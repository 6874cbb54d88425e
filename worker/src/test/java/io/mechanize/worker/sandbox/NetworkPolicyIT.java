package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Network;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.worker.actions.DockerWorkspace;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Network workspaces on the real engine and the host's real iptables. Traffic goes only to
 * containers this test starts on the workspace's own bridge; the blocking of other internal
 * addresses is asserted by reading the installed rules back, never by sending to them.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkPolicyIT {
    private static final String PROXY = "http://10.1.2.3:3128";
    private final SandboxFixture fx = new SandboxFixture();
    private final DockerClient docker = fx.engine.client();
    private final EgressFirewall iptables = EgressFirewall.system();
    private final List<String> peers = new ArrayList<>();

    @AfterEach
    void removePeers() {
        peers.forEach(id -> docker.removeContainerCmd(id).withForce(true).exec());
        peers.clear();
    }

    @AfterAll
    void close() {
        fx.close();
    }

    @Test
    void aNetworkWorkspaceGetsItsOwnLabelledBridgeGuardedByRulesThatLeaveWithIt() throws Exception {
        WorkspaceRef ref = ref("net-own");
        WorkspaceNetwork expected = WorkspaceNetwork.forWorkspace(ref);
        Workspace ws = fx.factory.create(ref, command(SandboxPolicy.newBuilder().setAllowNetwork(true).build()));
        Network network = docker.inspectNetworkCmd().withNetworkId(expected.name()).exec();
        String subnet = network.getIpam().getConfig().getFirst().getSubnet();

        assertThat(network.getDriver()).isEqualTo("bridge");
        assertThat(network.getInternal()).isFalse();
        assertThat(network.getEnableIPv6()).isFalse();
        assertThat(network.getOptions()).containsEntry("com.docker.network.bridge.name", expected.bridge());
        assertThat(network.getLabels()).containsEntry("mechanize.workspace", "net-own")
                .containsEntry("mechanize.worker", fx.workerId).containsEntry("mechanize.run", "run-it")
                .containsEntry("mechanize.managed", "true").containsEntry("mechanize.test", "true");
        Container container = onlyContainerOf("net-own");
        assertThat(container.getNetworkSettings().getNetworks()).containsOnlyKeys(expected.name());
        assertThat(Files.exists(Path.of("/sys/class/net", expected.bridge()))).isTrue();

        List<String> forward = iptables.list("DOCKER-USER");
        String tag = "-m comment --comment \"mechanize:" + expected.bridge() + "\"";
        List<String> ours = forward.stream().filter(l -> l.contains(tag)).toList();
        assertThat(forward.subList(1, 1 + ours.size())).as("our rules come first").isEqualTo(ours);
        assertThat(ours.getFirst()).contains("-i " + expected.bridge() + " -m conntrack --ctstate RELATED,ESTABLISHED")
                .endsWith("-j RETURN");
        for (String range : List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
                "127.0.0.0/8", subnet)) {
            assertThat(ours).as("a reject of " + range).anySatisfy(l -> assertThat(l)
                    .startsWith("-A DOCKER-USER -d " + range + " -i " + expected.bridge() + " ")
                    .endsWith("-j REJECT --reject-with icmp-net-unreachable"));
        }
        assertThat(iptables.list("INPUT")).filteredOn(l -> l.contains(tag)).containsExactly(
                "-A INPUT -i " + expected.bridge() + " " + tag + " -j REJECT --reject-with icmp-net-unreachable");
        assertThat(fx.sh(ws, "cat /proc/sys/net/ipv6/conf/all/disable_ipv6").getOutput().strip())
                .as("no IPv6 inside, so no ip6tables rules are needed").isEqualTo("1");
        assertThat(fx.sh(ws, "id -u; ls /sys/class/net | sort | tr '\\n' ' '").getOutput()).contains("1000").contains("eth0");

        ws.close();

        assertThatThrownBy(() -> docker.inspectNetworkCmd().withNetworkId(expected.name()).exec())
                .isInstanceOf(NotFoundException.class);
        assertThat(iptables.list("DOCKER-USER")).noneMatch(l -> l.contains(expected.bridge()));
        assertThat(iptables.list("INPUT")).noneMatch(l -> l.contains(expected.bridge()));
    }

    @Test
    void twoNetworkWorkspacesGetSeparateBridges() throws Exception {
        SandboxPolicy policy = SandboxPolicy.newBuilder().setAllowNetwork(true).build();
        try (Workspace a = fx.factory.create(ref("net-a"), command(policy));
                Workspace b = fx.factory.create(ref("net-b"), command(policy))) {
            Network na = docker.inspectNetworkCmd().withNetworkId(WorkspaceNetwork.forWorkspace(ref("net-a")).name()).exec();
            Network nb = docker.inspectNetworkCmd().withNetworkId(WorkspaceNetwork.forWorkspace(ref("net-b")).name()).exec();

            assertThat(na.getId()).isNotEqualTo(nb.getId());
            assertThat(na.getOptions().get("com.docker.network.bridge.name"))
                    .isNotEqualTo(nb.getOptions().get("com.docker.network.bridge.name"));
            assertThat(na.getIpam().getConfig().getFirst().getSubnet())
                    .isNotEqualTo(nb.getIpam().getConfig().getFirst().getSubnet());
            assertThat(onlyContainerOf("net-a").getNetworkSettings().getNetworks()).containsOnlyKeys(na.getName());
            assertThat(onlyContainerOf("net-b").getNetworkSettings().getNetworks()).containsOnlyKeys(nb.getName());
        }
    }

    @Test
    void theRulesDecideWhetherAPeerOnTheSameBridgeIsReachable() throws Exception {
        assumeThat(Files.readString(Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables")).strip())
                .as("bridged traffic passes iptables only with br_netfilter").isEqualTo("1");
        try (Workspace open = fx.factory.create(ref("net-open"),
                command(SandboxPolicy.newBuilder().setAllowNetwork(true).setBlockInternalIps(false).build()))) {
            String peer = startPeer(WorkspaceNetwork.forWorkspace(ref("net-open")).name());
            ActionResult reached = fx.sh(open, fetch(peer));
            assertThat(reached.getOutput()).as(reached.getStderr()).contains("status 200");
            removePeers(); // a network with a container still attached cannot be removed
        }
        try (Workspace guarded = fx.factory.create(ref("net-guarded"),
                command(SandboxPolicy.newBuilder().setAllowNetwork(true).build()))) {
            String peer = startPeer(WorkspaceNetwork.forWorkspace(ref("net-guarded")).name());
            ActionResult refused = fx.sh(guarded, fetch(peer));
            assertThat(refused.getOutput()).doesNotContain("status 200");
            assertThat(refused.getStderr()).contains("Network is unreachable");
            assertThat(refused.getSecurityViolations()).anySatisfy(v -> assertThat(v.getType().name())
                    .isEqualTo("NETWORK_DENIED"));
            removePeers();
        }
        assertThat(networksOf("net-open")).isEmpty();
        assertThat(networksOf("net-guarded")).isEmpty();
    }

    @Test
    void theProxyIsInEveryCommandsEnvironmentAndStaysReachable() throws Exception {
        WorkspaceRef ref = ref("net-proxy");
        try (Workspace ws = fx.factory.create(ref,
                command(SandboxPolicy.newBuilder().setAllowNetwork(true).setProxyUrl(PROXY).build()))) {
            assertThat(fx.sh(ws, "echo \"$HTTP_PROXY|$HTTPS_PROXY|$http_proxy|$https_proxy|$NO_PROXY\"").getOutput().strip())
                    .isEqualTo(PROXY + "|" + PROXY + "|" + PROXY + "|" + PROXY + "|localhost,127.0.0.1");
            String bridge = WorkspaceNetwork.forWorkspace(ref).bridge();
            List<String> ours = iptables.list("DOCKER-USER").stream().filter(l -> l.contains(bridge)).toList();
            assertThat(ours.get(1)).startsWith("-A DOCKER-USER -d 10.1.2.3/32 -i " + bridge + " -p tcp -m tcp --dport 3128")
                    .endsWith("-j RETURN");
            assertThat(ours.get(2)).startsWith("-A DOCKER-USER -d 10.0.0.0/8 -i " + bridge);
        }
    }

    @Test
    void anInvalidProxyUrlFailsCreationClearlyAndLeavesNothing() {
        WorkspaceRef ref = ref("net-bad-proxy");
        assertThatThrownBy(() -> fx.factory.create(ref,
                command(SandboxPolicy.newBuilder().setAllowNetwork(true).setProxyUrl("socks5://10.1.2.3:1080").build())))
                .isInstanceOf(WorkspaceException.class)
                .hasMessageContaining("policy.proxy_url must be an http:// or https:// URL")
                .hasMessageContaining("socks5://10.1.2.3:1080")
                .extracting(e -> ((WorkspaceException) e).stage()).isEqualTo("create");
        assertThat(networksOf("net-bad-proxy")).isEmpty();
        assertThat(containersOf("net-bad-proxy")).isEmpty();
    }

    @Test
    void withoutAWorkingIptablesANetworkWorkspaceIsNeverStarted() throws Exception {
        try (DockerWorkspaceFactory broken = new DockerWorkspaceFactory(fx.engine, fx.workerId, SandboxFixture.TEST_LABELS,
                DockerWorkspace::new, Clock.systemUTC(), 0,
                new EgressFirewall("/nonexistent/iptables", EgressFirewall.processRunner()),
                DockerWorkspaceFactory.HELPER_IDLE_EXIT)) {
            assertThatThrownBy(() -> broken.create(ref("net-no-iptables"),
                    command(SandboxPolicy.newBuilder().setAllowNetwork(true).build())))
                    .isInstanceOf(WorkspaceException.class)
                    .hasMessageContaining("could not be protected, so the workspace was not started")
                    .hasMessageContaining("cannot run /nonexistent/iptables");
        }
        assertThat(networksOf("net-no-iptables")).isEmpty();
        assertThat(containersOf("net-no-iptables")).isEmpty();
    }

    private String startPeer(String network) {
        String id;
        try (CreateContainerCmd cmd = docker.createContainerCmd("mechanize/dev-env:latest")) {
            id = cmd.withLabels(SandboxFixture.TEST_LABELS)
                    .withUser("1000:1000")
                    .withEntrypoint("python3", "-m", "http.server", "8000", "--directory", "/tmp")
                    .withHostConfig(HostConfig.newHostConfig().withNetworkMode(network).withCapDrop(
                            com.github.dockerjava.api.model.Capability.ALL))
                    .exec().getId();
        }
        peers.add(id);
        docker.startContainerCmd(id).exec();
        return docker.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks().get(network).getIpAddress();
    }

    /** One bounded attempt per 0.2 s for at most 10 s, to the test's own peer only. */
    private static String fetch(String peerIp) {
        return "unset http_proxy HTTP_PROXY; python3 - <<'PY'\n"
                + "import sys, time, urllib.request\n"
                + "for attempt in range(50):\n"
                + "    try:\n"
                + "        print('status', urllib.request.urlopen('http://" + peerIp + ":8000/', timeout=2).status)\n"
                + "        break\n"
                + "    except Exception as e:\n"
                + "        last = e\n"
                + "        if 'unreachable' in str(e): print(e, file=sys.stderr); break\n"
                + "        time.sleep(0.2)\n"
                + "else:\n"
                + "    print(last, file=sys.stderr)\n"
                + "PY";
    }

    private Container onlyContainerOf(String workspace) {
        List<Container> found = containersOf(workspace);
        assertThat(found).hasSize(1);
        return found.getFirst();
    }

    private List<Container> containersOf(String workspace) {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("mechanize.workspace", workspace, "mechanize.worker", fx.workerId)).exec();
    }

    private List<Network> networksOf(String workspace) {
        return docker.listNetworksCmd().withFilter("label", List.of("mechanize.workspace=" + workspace,
                "mechanize.worker=" + fx.workerId)).exec();
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
