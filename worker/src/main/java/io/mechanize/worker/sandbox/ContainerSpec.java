package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every setting of a workspace container in one object, applied by one method, so that the
 * hardening is written down once and tested once (after Testcontainers' {@code ContainerDef}).
 *
 * @param image the image to start, e.g. {@code mechanize/dev-env:latest}
 * @param labels all labels, the {@code mechanize.*} ones included
 * @param memoryBytes memory limit; swap is the same value, i.e. no swap
 * @param nanoCpus CPU quota in units of 1e-9 CPUs
 * @param pidsLimit the most processes and threads the container may hold
 * @param workspaceBytes size of the {@code /workspace} tmpfs
 * @param tmpBytes size of the {@code /tmp} tmpfs
 * @param runtime an OCI runtime such as {@code runsc}, or null for the engine's default
 * @param networkMode the Docker network mode: {@code none}, or the workspace's own bridge network
 *     (see {@link WorkspaceNetwork}) when the policy allows network access
 * @param env environment variables of the container, and so of every command in it (the proxy)
 */
public record ContainerSpec(
        String image,
        Map<String, String> labels,
        long memoryBytes,
        long nanoCpus,
        long pidsLimit,
        long workspaceBytes,
        long tmpBytes,
        String runtime,
        String networkMode,
        Map<String, String> env) {

    public static final String LABEL_MANAGED = "mechanize.managed";
    public static final String LABEL_WORKSPACE = "mechanize.workspace";
    public static final String LABEL_RUN = "mechanize.run";
    public static final String LABEL_WORKER = "mechanize.worker";
    public static final String SANDBOX_USER = "1000:1000";
    public static final String WORKSPACE_DIR = "/workspace";
    public static final String NETWORK_NONE = "none";
    /** gVisor; registered on our hosts with {@code --network=none}, so it cannot join a bridge. */
    public static final String RUNTIME_GVISOR = "runsc";
    /**
     * Under gVisor the host's pids cgroup also counts the sandbox kernel's own threads (about 140
     * with the ptrace platform): a container limited to the agent's {@code pids_limit} alone dies on
     * its first exec. The limit is raised by this much, so it still stops a fork bomb.
     */
    static final int GVISOR_PIDS_OVERHEAD = 256;
    /** Hosts a command reaches without the proxy. */
    public static final String NO_PROXY = "localhost,127.0.0.1";
    private static final long MIB = 1024L * 1024L;
    /** Docker refuses less than 6 MiB of memory. */
    private static final long MIN_MEMORY_BYTES = 6 * MIB;

    public ContainerSpec {
        requireNonNull(image, "image is null");
        if (image.isBlank()) {
            throw new IllegalArgumentException("image is blank");
        }
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
        requireNonNull(networkMode, "networkMode is null");
        env = Map.copyOf(requireNonNull(env, "env is null"));
        if (memoryBytes < MIN_MEMORY_BYTES) {
            throw new IllegalArgumentException("memory limit must be at least 6 MiB, was " + memoryBytes + " bytes");
        }
        requirePositive("nanoCpus", nanoCpus);
        requirePositive("pidsLimit", pidsLimit);
        requirePositive("workspaceBytes", workspaceBytes);
        requirePositive("tmpBytes", tmpBytes);
        if (runtime != null && runtime.isBlank()) {
            throw new IllegalArgumentException("runtime is blank: use null for the engine's default");
        }
    }

    /**
     * The spec for a workspace: the command's image, limits and policy, labelled with the
     * workspace, run and worker ids plus {@code extraLabels}.
     *
     * @throws IllegalArgumentException when a limit is out of range or the policy asks for
     *     something this worker cannot give (gVisor with network, a proxy without network, a
     *     proxy URL that is not http or https)
     */
    public static ContainerSpec forWorkspace(WorkspaceRef ref, CreateWorkspace command, Map<String, String> extraLabels) {
        requireNonNull(ref, "ref is null");
        requireNonNull(command, "command is null");
        ResourceLimits limits = command.getLimits();
        SandboxPolicy policy = command.getPolicy();
        String networkMode = NETWORK_NONE;
        Map<String, String> env = new LinkedHashMap<>();
        if (policy.getAllowNetwork()) {
            if (RUNTIME_GVISOR.equals(policy.getRuntime())) {
                throw new IllegalArgumentException("policy.runtime=runsc cannot be combined with allow_network=true:"
                        + " gVisor is registered on this worker with --network=none, so the workspace would have no network;"
                        + " use the default runtime for network access");
            }
            networkMode = WorkspaceNetwork.forWorkspace(ref).name();
        }
        if (policy.getProxyUrl() != null) {
            if (!policy.getAllowNetwork()) {
                throw new IllegalArgumentException("policy.proxy_url needs allow_network=true: a workspace without"
                        + " network cannot reach " + policy.getProxyUrl());
            }
            String proxy = proxyUri(policy.getProxyUrl()).toString();
            for (String name : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")) {
                env.put(name, proxy);
            }
            env.put("NO_PROXY", NO_PROXY);
            env.put("no_proxy", NO_PROXY);
        }
        Map<String, String> labels = new LinkedHashMap<>(requireNonNull(extraLabels, "extraLabels is null"));
        labels.put(LABEL_MANAGED, "true");
        labels.put(LABEL_WORKSPACE, ref.workspaceId());
        labels.put(LABEL_RUN, ref.runId());
        labels.put(LABEL_WORKER, ref.workerId());
        if (!(limits.getCpuCores() > 0)) {
            throw new IllegalArgumentException("limits.cpu_cores must be > 0, was " + limits.getCpuCores());
        }
        return new ContainerSpec(
                command.getImage(),
                labels,
                limits.getMemoryMb() * MIB,
                Math.round(limits.getCpuCores() * 1_000_000_000d),
                limits.getPidsLimit() + (RUNTIME_GVISOR.equals(policy.getRuntime()) ? GVISOR_PIDS_OVERHEAD : 0),
                limits.getWorkspaceDiskMb() * MIB,
                limits.getTmpDiskMb() * MIB,
                policy.getRuntime(),
                networkMode,
                env);
    }

    /**
     * The policy's proxy URL, checked: {@code http} or {@code https}, a host, an optional port and
     * nothing after it but {@code /}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static URI proxyUri(String url) {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("policy.proxy_url is not a URL: '" + url + "' (" + e.getReason() + ")", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("policy.proxy_url must be an http:// or https:// URL such as"
                    + " http://proxy.internal:3128, got '" + url + "'");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new IllegalArgumentException("policy.proxy_url names no host (or a malformed one): '" + url + "'");
        }
        if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("policy.proxy_url must be scheme://host[:port] with no path, query or"
                    + " fragment, got '" + url + "'");
        }
        return uri;
    }

    /** The port the proxy listens on: the URL's, else 80 for http and 443 for https. */
    public static int proxyPort(URI proxy) {
        return proxy.getPort() > 0 ? proxy.getPort() : proxy.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    /** Whether the container joins its own bridge network rather than none. */
    public boolean networked() {
        return !networkMode.equals(NETWORK_NONE);
    }

    /** The same container with other labels (a warm pool's key has none; its containers have the pool's). */
    public ContainerSpec withLabels(Map<String, String> newLabels) {
        return new ContainerSpec(image, newLabels, memoryBytes, nanoCpus, pidsLimit, workspaceBytes, tmpBytes, runtime,
                networkMode, env);
    }

    /** {@link #applyTo(CreateContainerCmd, String)} with no hosts file: no network is the engine's {@code none}. */
    public CreateContainerCmd applyTo(CreateContainerCmd cmd) {
        return applyTo(cmd, null);
    }

    /**
     * Sets every container setting on {@code cmd}; nothing else touches a create command.
     *
     * @param loopbackHosts the path on the engine's host of a hosts file naming localhost
     *     ({@link LoopbackHosts}), or null. Given, a container without network under the engine's
     *     default runtime or gVisor is created with networking disabled (the runtime's own network
     *     namespace or netstack, loopback only, no libnetwork) and gets that file read-only at
     *     {@code /etc/hosts}; null, or under another runtime, it goes on the engine's {@code none}
     *     network
     */
    public CreateContainerCmd applyTo(CreateContainerCmd cmd, String loopbackHosts) {
        boolean disabled = loopbackHosts != null && NETWORK_NONE.equals(networkMode)
                && (runtime == null || RUNTIME_GVISOR.equals(runtime));
        HostConfig host = HostConfig.newHostConfig()
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withReadonlyRootfs(true)
                .withTmpFs(tmpfs())
                .withMemory(memoryBytes)
                .withMemorySwap(memoryBytes)
                .withNanoCPUs(nanoCpus)
                .withPidsLimit(pidsLimit)
                .withNetworkMode(networkMode)
                .withIpcMode("private")
                .withInit(true)
                .withPrivileged(false)
                .withPublishAllPorts(false)
                .withRuntime(runtime);
        if (disabled) {
            // a mount, not a bind: a source that is gone (the volume pruned) fails the create,
            // where a bind would make an empty directory there and fail the start
            host.withMounts(List.of(new Mount().withType(MountType.BIND).withSource(loopbackHosts).withTarget("/etc/hosts")
                    .withReadOnly(true)));
        }
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        return cmd.withImage(image)
                .withLabels(labels)
                .withEnv(envList)
                .withUser(SANDBOX_USER)
                .withWorkingDir(WORKSPACE_DIR)
                .withEntrypoint("sleep")
                .withCmd("infinity")
                .withAttachStdin(false)
                .withStdinOpen(false)
                .withTty(false)
                .withNetworkDisabled(disabled)
                .withHostConfig(host);
    }

    /**
     * The main process of a workspace container (sh, under the engine's init): it runs the
     * default shell session's driver with the container's own stdin and stdout, which the worker
     * reaches through an attach, so the session costs no exec. When the driver exits (the agent
     * killed it, say) it prints {@link AttachedProcess#MAIN_ENDED} and sleeps: the container
     * stays, and the worker starts the next session by exec. {@code $1} is the session's state
     * directory; the driver's scripts come in the environment, which the driver clears before any
     * command runs (and every exec blanks, see {@link #SESSION_ENV}). Before the driver, one
     * {@code mkdir} makes the session's state directory, the measurement's directory and the
     * empty pristine copy of an empty snapshot (the directories the driver would otherwise make one
     * fork each), so that a workspace with an empty snapshot needs no command at all to be ready
     * ({@link SandboxContainer#readyForEmptySnapshot}).
     */
    static final String MAIN_SUPERVISOR = """
            mkdir -p -- "$1" /tmp/.mechanize/observe %s
            bash --noprofile --norc -c 'eval "$MZ_DRIVER"' mz-session "$1"
            printf '\\036mz-main-session-ended\\036\\n'
            exec sleep infinity
            """.formatted(SnapshotPlacement.PRISTINE_DIR);
    /**
     * The environment variables that carry the session driver's scripts and settings; every exec
     * blanks them.
     */
    static final List<String> SESSION_ENV = List.of("MZ_DRIVER", "MZ_COMMAND", "MZ_HELPER_IDLE_S");

    /**
     * Like {@link #applyTo(CreateContainerCmd, String)}, but the container's main process is the default shell session's
     * driver ({@link #MAIN_SUPERVISOR}), with its stdin open for an attach.
     *
     * @param helperIdleExit how long the session's resident helper may wait for a request before
     *     it exits, to be started again by the next one; zero: it never exits
     */
    CreateContainerCmd applyToWithSession(CreateContainerCmd cmd, String stateDir, java.time.Duration helperIdleExit,
            String loopbackHosts) {
        applyTo(cmd, loopbackHosts);
        List<String> envList = new ArrayList<>(cmd.getEnv() == null ? List.of() : List.of(cmd.getEnv()));
        envList.add("MZ_DRIVER=" + Scripts.OBSERVE + Scripts.SHELL_DRIVER);
        envList.add("MZ_COMMAND=" + Scripts.SHELL_COMMAND);
        // whole seconds, rounded up: a limit under a second must not become zero, which means never
        envList.add("MZ_HELPER_IDLE_S=" + (helperIdleExit.toMillis() + 999) / 1000);
        return cmd.withEnv(envList)
                .withEntrypoint("/bin/sh", "-c", MAIN_SUPERVISOR, "mz-main", stateDir)
                .withCmd(List.of())
                .withAttachStdin(true)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withStdinOpen(true)
                .withStdInOnce(false);
    }

    /** tmpfs mounts: {@code /workspace} allows exec (agents build and run code there). */
    Map<String, String> tmpfs() {
        Map<String, String> mounts = new LinkedHashMap<>();
        mounts.put(WORKSPACE_DIR, "rw,exec,nosuid,nodev,size=" + workspaceBytes + ",uid=1000,gid=1000,mode=0755");
        mounts.put("/tmp", "rw,noexec,nosuid,nodev,size=" + tmpBytes + ",mode=1777");
        return mounts;
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
    }
}
