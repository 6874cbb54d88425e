package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateNetworkCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Network;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.worker.workspace.WorkspaceException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A workspace's own bridge network and its firewall: created before the container, removed after
 * it. With {@code block_internal_ips} the {@link EgressFirewall} rules are in place before
 * {@link #open} returns; when they cannot be installed the network is removed again and the
 * workspace fails: a network workspace never runs unprotected.
 */
final class WorkspaceNetworks {
    private static final Logger log = LoggerFactory.getLogger(WorkspaceNetworks.class);

    /** A network held for one container; closing it removes the network, then its rules. */
    interface Lease extends AutoCloseable {
        Lease NONE = () -> { };

        @Override
        void close();
    }

    private final DockerClient client;
    private final EgressFirewall firewall;

    WorkspaceNetworks(DockerClient client, EgressFirewall firewall) {
        this.client = requireNonNull(client, "client is null");
        this.firewall = requireNonNull(firewall, "firewall is null");
    }

    /**
     * Creates the spec's network with the spec's labels and, when the policy blocks internal
     * addresses, installs its firewall rules; {@link Lease#NONE} for a container without network.
     *
     * @throws WorkspaceException (stage {@code create}) naming what failed; nothing is left behind
     */
    Lease open(ContainerSpec spec, WorkspaceNetwork network, SandboxPolicy policy) throws WorkspaceException {
        if (!spec.networked()) {
            return Lease.NONE;
        }
        List<String> allowed = policy.getBlockInternalIps() ? proxyEndpoints(policy) : List.of();
        String id;
        try (CreateNetworkCmd cmd = client.createNetworkCmd()) {
            id = cmd.withName(network.name())
                    .withDriver("bridge")
                    .withInternal(false)
                    .withEnableIpv6(false)
                    .withCheckDuplicate(true)
                    .withLabels(spec.labels())
                    .withOptions(Map.of(WorkspaceNetwork.BRIDGE_NAME_OPTION, network.bridge()))
                    .exec()
                    .getId();
        } catch (DockerException e) {
            throw new WorkspaceException("create", "creating the workspace network " + network.name() + " failed: "
                    + e.getMessage(), e);
        }
        List<EgressFirewall.Rule> rules = List.of();
        try {
            if (policy.getBlockInternalIps()) {
                rules = EgressFirewall.rules(network.bridge(), subnet(id), allowed);
                firewall.install(rules);
            }
        } catch (EgressFirewall.FirewallException | RuntimeException e) {
            removeNetwork(id, network.name());
            throw new WorkspaceException("create", "the workspace network " + network.name() + " could not be"
                    + " protected, so the workspace was not started: " + e.getMessage(), e);
        }
        log.info("network {} ({}) created for workspace {}{}", network.name(), network.bridge(),
                spec.labels().get(ContainerSpec.LABEL_WORKSPACE),
                rules.isEmpty() ? " without blocking internal addresses" : " with " + rules.size() + " firewall rules");
        List<EgressFirewall.Rule> installed = rules;
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            // the rules stay while the network does: a bridge is never left without them
            if (closed.compareAndSet(false, true) && removeNetwork(id, network.name())) {
                firewall.remove(installed);
            }
        };
    }

    /**
     * Removes the networks of workers that are gone (with their firewall rules); their
     * containers must have been removed first.
     *
     * @param scope the labels every network of this fleet carries
     * @param orphanReason why a network with these labels is an orphan, or null when it stays
     */
    int removeOrphans(Map<String, String> scope, Function<Map<String, String>, String> orphanReason) {
        List<Network> networks;
        try {
            networks = client.listNetworksCmd()
                    .withFilter("label", scope.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                    .exec();
        } catch (DockerException e) {
            log.warn("listing managed networks failed, no orphaned networks removed: {}", e.getMessage());
            return 0;
        }
        int removed = 0;
        for (Network n : networks) {
            String reason = orphanReason.apply(n.getLabels() == null ? Map.of() : n.getLabels());
            if (reason == null) {
                continue;
            }
            String bridge = n.getOptions() == null ? null : n.getOptions().get(WorkspaceNetwork.BRIDGE_NAME_OPTION);
            String subnet = subnetOf(n);
            if (removeNetwork(n.getId(), n.getName())) {
                removed++;
                log.info("removed orphaned network {} (if it still existed): {}", n.getName(), reason);
                if (bridge != null && subnet != null) {
                    firewall.remove(EgressFirewall.rules(bridge, subnet, List.of()));
                }
            }
        }
        return removed;
    }

    private String subnet(String networkId) {
        String subnet = subnetOf(client.inspectNetworkCmd().withNetworkId(networkId).exec());
        if (subnet == null) {
            throw new IllegalStateException("the engine reports no IPv4 subnet for network " + networkId);
        }
        return subnet;
    }

    private static String subnetOf(Network network) {
        if (network.getIpam() == null || network.getIpam().getConfig() == null) {
            return null;
        }
        return network.getIpam().getConfig().stream()
                .map(Network.Ipam.Config::getSubnet)
                .filter(s -> s != null && !s.contains(":"))
                .findFirst()
                .orElse(null);
    }

    /** The proxy's IPv4 addresses and port, which stay reachable when they are in a blocked range. */
    private static List<String> proxyEndpoints(SandboxPolicy policy) throws WorkspaceException {
        if (policy.getProxyUrl() == null) {
            return List.of();
        }
        URI proxy = ContainerSpec.proxyUri(policy.getProxyUrl());
        List<String> endpoints = new ArrayList<>();
        try {
            for (InetAddress address : InetAddress.getAllByName(proxy.getHost())) {
                if (address instanceof Inet4Address) {
                    endpoints.add(address.getHostAddress() + ":" + ContainerSpec.proxyPort(proxy));
                }
            }
        } catch (UnknownHostException e) {
            throw new WorkspaceException("create", "policy.proxy_url: the host " + proxy.getHost() + " does not resolve", e);
        }
        return endpoints;
    }

    /** Removes the network; true when it is gone (also when it already was). */
    private boolean removeNetwork(String id, String name) {
        try {
            client.removeNetworkCmd(id).exec();
            log.debug("network {} removed", name);
            return true;
        } catch (NotFoundException e) {
            return true;
        } catch (DockerException e) {
            log.warn("network {} could not be removed: {}", name, e.getMessage());
            return false;
        }
    }
}
