package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EgressFirewallTest {
    private static final String BRIDGE = "mz-0123456789ab";
    private final List<List<String>> calls = new ArrayList<>();

    @Test
    void rejectsEveryInternalRangeAndTheBridgeSubnetButLetsReturnTrafficThrough() {
        List<String> listed = EgressFirewall.rules(BRIDGE, "172.18.0.0/16", List.of()).stream()
                .map(EgressFirewall.Rule::asListed).toList();

        String tail = " -i mz-0123456789ab -m comment --comment \"mechanize:mz-0123456789ab\""
                + " -j REJECT --reject-with icmp-net-unreachable";
        assertThat(listed).containsExactly(
                "-A DOCKER-USER -i mz-0123456789ab -m conntrack --ctstate RELATED,ESTABLISHED"
                        + " -m comment --comment \"mechanize:mz-0123456789ab\" -j RETURN",
                "-A DOCKER-USER -d 10.0.0.0/8" + tail,
                "-A DOCKER-USER -d 172.16.0.0/12" + tail,
                "-A DOCKER-USER -d 192.168.0.0/16" + tail,
                "-A DOCKER-USER -d 169.254.0.0/16" + tail,
                "-A DOCKER-USER -d 100.64.0.0/10" + tail,
                "-A DOCKER-USER -d 127.0.0.0/8" + tail,
                "-A DOCKER-USER -d 172.18.0.0/16" + tail,
                "-A INPUT" + tail);
    }

    @Test
    void theProxyStaysReachableBeforeTheRejects() {
        List<String> listed = EgressFirewall.rules(BRIDGE, "172.18.0.0/16", List.of("10.1.2.3:3128")).stream()
                .map(EgressFirewall.Rule::asListed).toList();

        assertThat(listed.get(1)).isEqualTo("-A DOCKER-USER -d 10.1.2.3/32 -i mz-0123456789ab -p tcp -m tcp --dport 3128"
                + " -m comment --comment \"mechanize:mz-0123456789ab\" -j RETURN");
        assertThat(listed.get(2)).startsWith("-A DOCKER-USER -d 10.0.0.0/8");
    }

    @Test
    void refusesNamesThatAreNotInterfacesOrSubnets() {
        assertThatThrownBy(() -> EgressFirewall.rules("mz-0123456789abc", "172.18.0.0/16", List.of()))
                .hasMessageContaining("not an interface name");
        assertThatThrownBy(() -> EgressFirewall.rules("br; rm -rf", "172.18.0.0/16", List.of()))
                .hasMessageContaining("not an interface name");
        assertThatThrownBy(() -> EgressFirewall.rules(BRIDGE, "fd00::/64", List.of()))
                .hasMessageContaining("not an IPv4 subnet");
        assertThatThrownBy(() -> EgressFirewall.rules(BRIDGE, "172.18.0.0/16", List.of("10.1.2.3")))
                .hasMessageContaining("not an IPv4 ip:port");
    }

    @Test
    void insertsAtTheTopInReverseSoTheOrderHoldsAndWaitsForTheLock() throws Exception {
        EgressFirewall firewall = new EgressFirewall("iptables", ok());
        List<EgressFirewall.Rule> rules = EgressFirewall.rules(BRIDGE, "172.18.0.0/16", List.of());

        firewall.install(rules);

        assertThat(calls).hasSize(rules.size());
        assertThat(calls.getFirst()).containsSequence("iptables", "-w", "-I", "INPUT", "1");
        assertThat(calls.getLast()).containsSequence("iptables", "-w", "-I", "DOCKER-USER", "1", "-i", BRIDGE, "-m", "conntrack");
    }

    @Test
    void aRefusedRuleUndoesTheOnesBeforeItAndSaysWhy() {
        EgressFirewall firewall = new EgressFirewall("iptables", argv -> {
            calls.add(argv);
            boolean refuse = argv.contains("-I") && argv.contains("10.0.0.0/8");
            return new EgressFirewall.Outcome(refuse ? 4 : 0, refuse ? "iptables: Permission denied (you must be root)." : "");
        });
        List<EgressFirewall.Rule> rules = EgressFirewall.rules(BRIDGE, "172.18.0.0/16", List.of());

        assertThatThrownBy(() -> firewall.install(rules))
                .isInstanceOf(EgressFirewall.FirewallException.class)
                .hasMessageContaining("inserting -A DOCKER-USER -d 10.0.0.0/8")
                .hasMessageContaining("exited with 4: iptables: Permission denied");
        List<List<String>> deletes = calls.stream().filter(c -> c.contains("-D")).toList();
        // INPUT, subnet, 127, 100.64, 169.254, 192.168, 172.16 went in before 10/8 was refused
        assertThat(deletes).hasSize(7);
        assertThat(deletes).noneMatch(c -> c.contains("10.0.0.0/8") || c.contains("conntrack"));
    }

    @Test
    void aMissingIptablesIsAClearFailure() {
        EgressFirewall firewall = new EgressFirewall("/nonexistent/iptables", EgressFirewall.processRunner());

        assertThatThrownBy(() -> firewall.install(EgressFirewall.rules(BRIDGE, "172.18.0.0/16", List.of())))
                .isInstanceOf(EgressFirewall.FirewallException.class)
                .hasMessageContaining("cannot run /nonexistent/iptables")
                .hasMessageContaining("needs iptables on the Docker host");
    }

    @Test
    void removingSkipsRulesThatAreAlreadyGone() {
        EgressFirewall firewall = new EgressFirewall("iptables", argv -> {
            calls.add(argv);
            return new EgressFirewall.Outcome(1, "iptables: Bad rule (does a matching rule exist in that chain?).");
        });

        assertThat(firewall.remove(EgressFirewall.rules(BRIDGE, "172.18.0.0/16", List.of()))).isZero();
        assertThat(calls).allMatch(c -> c.get(2).equals("-D"));
    }

    private EgressFirewall.Runner ok() {
        return argv -> {
            calls.add(argv);
            return new EgressFirewall.Outcome(0, "");
        };
    }
}
