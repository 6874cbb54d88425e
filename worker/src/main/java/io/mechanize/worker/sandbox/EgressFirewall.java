package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host iptables rules that keep a workspace bridge away from internal addresses. Docker sends
 * every forwarded packet through the {@code DOCKER-USER} chain first; rules there, matched on the
 * bridge's interface ({@code -i mz-...}), reject traffic from the workspace to the private,
 * link-local (cloud metadata), shared (CGNAT) and loopback ranges and to the bridge's own subnet,
 * but let established return traffic through. Packets to the host itself (the bridge gateway or
 * any other address of the host) never pass {@code FORWARD}: one rule in {@code INPUT} rejects
 * everything the bridge sends to the host.
 *
 * <p>Rules are inserted at the top of their chain before the container starts and deleted one by
 * one, by their exact spec, when the network goes away; each carries the comment
 * {@code mechanize:<bridge>}. Rejecting with {@code icmp-net-unreachable} makes a blocked
 * connection fail at once with "Network is unreachable", which the action reports as
 * {@code NETWORK_DENIED}.
 *
 * <p>IPv6: workspace networks are created with IPv6 disabled, so Docker turns IPv6 off inside
 * the container ({@code disable_ipv6=1}) and no ip6tables rules are needed.
 */
public final class EgressFirewall {
    private static final Logger log = LoggerFactory.getLogger(EgressFirewall.class);

    /** Destinations a workspace may never open a connection to. */
    public static final List<String> BLOCKED_RANGES = List.of(
            "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "127.0.0.0/8");
    static final String FORWARD_CHAIN = "DOCKER-USER";
    static final String INPUT_CHAIN = "INPUT";
    /** Every rule's comment: this prefix and the bridge name. */
    public static final String COMMENT_PREFIX = "mechanize:";
    private static final List<String> REJECT = List.of("-j", "REJECT", "--reject-with", "icmp-net-unreachable");
    private static final Pattern BRIDGE = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}");
    private static final Pattern CIDR = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}(/\\d{1,2})?");
    private static final long TIMEOUT_SECONDS = 30;

    /** Runs one iptables command line. */
    @FunctionalInterface
    public interface Runner {
        /** @return the exit code and the output; throws IOException when the program cannot be run */
        Outcome run(List<String> argv) throws IOException;
    }

    /** What iptables answered. */
    public record Outcome(int exitCode, String output) {}

    /** One rule: its chain and the match-and-target spec, without {@code -I} / {@code -D}. */
    public record Rule(String chain, List<String> spec) {
        public Rule {
            requireNonNull(chain, "chain is null");
            spec = List.copyOf(requireNonNull(spec, "spec is null"));
        }

        /** As {@code iptables -S} prints it, for reading the rules back. */
        public String asListed() {
            StringBuilder line = new StringBuilder("-A ").append(chain);
            for (int i = 0; i < spec.size(); i++) {
                boolean isComment = i > 0 && spec.get(i - 1).equals("--comment");
                line.append(' ').append(isComment ? '"' + spec.get(i) + '"' : spec.get(i));
            }
            return line.toString();
        }
    }

    private final String program;
    private final Runner runner;

    /**
     * @param program the iptables binary, e.g. {@code iptables}
     * @param runner how to run it (see {@link #processRunner()})
     */
    public EgressFirewall(String program, Runner runner) {
        this.program = requireNonNull(program, "program is null");
        this.runner = requireNonNull(runner, "runner is null");
    }

    /** The host's {@code iptables}, run with ProcessBuilder. */
    public static EgressFirewall system() {
        return new EgressFirewall("iptables", processRunner());
    }

    /**
     * The rules for one workspace bridge, in the order they must end up in, each written the way
     * {@code iptables -S} prints it back ({@code -d} before {@code -i}).
     *
     * @param bridge the bridge's interface name, e.g. {@code mz-0123456789ab}
     * @param subnet the bridge's IPv4 subnet, e.g. {@code 172.18.0.0/16}
     * @param allowedTcp {@code ip:port} endpoints (the policy's proxy) that stay reachable even in a
     *     blocked range
     */
    public static List<Rule> rules(String bridge, String subnet, List<String> allowedTcp) {
        requireNonNull(bridge, "bridge is null");
        requireNonNull(subnet, "subnet is null");
        if (!BRIDGE.matcher(bridge).matches()) {
            throw new IllegalArgumentException("not an interface name (at most 15 of [a-zA-Z0-9_.-]): " + bridge);
        }
        if (!CIDR.matcher(subnet).matches()) {
            throw new IllegalArgumentException("not an IPv4 subnet: " + subnet);
        }
        List<String> in = List.of("-i", bridge);
        List<String> comment = List.of("-m", "comment", "--comment", COMMENT_PREFIX + bridge);
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule(FORWARD_CHAIN, concat(in, List.of("-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"),
                comment, List.of("-j", "RETURN"))));
        for (String endpoint : allowedTcp) {
            int colon = endpoint.lastIndexOf(':');
            String ip = colon < 0 ? "" : endpoint.substring(0, colon);
            String port = colon < 0 ? "" : endpoint.substring(colon + 1);
            if (!CIDR.matcher(ip).matches() || ip.contains("/") || !port.matches("\\d{1,5}")) {
                throw new IllegalArgumentException("not an IPv4 ip:port: " + endpoint);
            }
            rules.add(new Rule(FORWARD_CHAIN, concat(List.of("-d", ip + "/32"), in,
                    List.of("-p", "tcp", "-m", "tcp", "--dport", port), comment, List.of("-j", "RETURN"))));
        }
        List<String> destinations = new ArrayList<>(BLOCKED_RANGES);
        destinations.add(subnet);
        for (String range : destinations) {
            rules.add(new Rule(FORWARD_CHAIN, concat(List.of("-d", range), in, comment, REJECT)));
        }
        rules.add(new Rule(INPUT_CHAIN, concat(in, comment, REJECT)));
        return List.copyOf(rules);
    }

    /**
     * Inserts the rules at the top of their chains. Each goes in at position 1 in reverse order,
     * so a workspace's rules keep their order even while another workspace inserts its own.
     *
     * @throws FirewallException when iptables is missing or refuses a rule; the rules already
     *     inserted are deleted again
     */
    public void install(List<Rule> rules) throws FirewallException {
        List<Rule> installed = new ArrayList<>();
        try {
            for (Rule rule : rules.reversed()) {
                run(concat(List.of(program, "-w", "-I", rule.chain(), "1"), rule.spec()), "inserting " + rule.asListed());
                installed.add(rule);
            }
        } catch (FirewallException e) {
            remove(installed);
            throw e;
        }
    }

    /**
     * Deletes exactly these rules (one copy each); a rule that is already gone is skipped.
     *
     * @return how many could not be deleted for another reason (logged)
     */
    public int remove(List<Rule> rules) {
        int failed = 0;
        for (Rule rule : rules) {
            try {
                run(concat(List.of(program, "-w", "-D", rule.chain()), rule.spec()), "deleting " + rule.asListed());
            } catch (FirewallException e) {
                if (!e.getMessage().contains("does a matching rule exist") && !e.getMessage().contains("No chain")) {
                    log.warn("{}", e.getMessage());
                    failed++;
                }
            }
        }
        return failed;
    }

    /** The chain as {@code iptables -S CHAIN} lists it. */
    public List<String> list(String chain) throws FirewallException {
        return run(List.of(program, "-w", "-S", chain), "listing " + chain).lines().toList();
    }

    private String run(List<String> argv, String what) throws FirewallException {
        Outcome outcome;
        try {
            outcome = runner.run(argv);
        } catch (IOException e) {
            throw new FirewallException(what + ": cannot run " + program + " (" + e.getMessage() + ");"
                    + " a workspace with network access needs iptables on the Docker host and the right to change it", e);
        }
        if (outcome.exitCode() != 0) {
            throw new FirewallException(what + ": " + program + " exited with " + outcome.exitCode() + ": "
                    + outcome.output().strip(), null);
        }
        return outcome.output();
    }

    /** Runs the program with ProcessBuilder, stdout and stderr merged, within 30 s. */
    public static Runner processRunner() {
        return argv -> {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            try (InputStream in = process.getInputStream()) {
                process.getOutputStream().close();
                String output = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(argv.getFirst() + " did not finish within " + TIMEOUT_SECONDS + " s");
                }
                return new Outcome(process.exitValue(), output);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + argv.getFirst(), e);
            }
        };
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }

    /** The firewall could not be changed: the message says which rule and what iptables said. */
    public static final class FirewallException extends Exception {
        FirewallException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
