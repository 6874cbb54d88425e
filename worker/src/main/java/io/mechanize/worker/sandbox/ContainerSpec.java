package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.util.LinkedHashMap;
import java.util.List;
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
 * @param networkMode the Docker network mode; {@code none} unless a policy allows more
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
        String networkMode) {

    public static final String LABEL_MANAGED = "mechanize.managed";
    public static final String LABEL_WORKSPACE = "mechanize.workspace";
    public static final String LABEL_RUN = "mechanize.run";
    public static final String LABEL_WORKER = "mechanize.worker";
    public static final String SANDBOX_USER = "1000:1000";
    public static final String WORKSPACE_DIR = "/workspace";
    public static final String NETWORK_NONE = "none";
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
     *     something this worker cannot give yet (network access)
     */
    public static ContainerSpec forWorkspace(WorkspaceRef ref, CreateWorkspace command, Map<String, String> extraLabels) {
        requireNonNull(ref, "ref is null");
        requireNonNull(command, "command is null");
        ResourceLimits limits = command.getLimits();
        SandboxPolicy policy = command.getPolicy();
        if (policy.getAllowNetwork()) {
            throw new IllegalArgumentException(
                    "policy.allow_network=true is not supported yet by this worker: workspaces run with network none");
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
                limits.getPidsLimit(),
                limits.getWorkspaceDiskMb() * MIB,
                limits.getTmpDiskMb() * MIB,
                policy.getRuntime(),
                NETWORK_NONE);
    }

    /** The same container with other labels (a warm pool's key has none; its containers have the pool's). */
    public ContainerSpec withLabels(Map<String, String> newLabels) {
        return new ContainerSpec(image, newLabels, memoryBytes, nanoCpus, pidsLimit, workspaceBytes, tmpBytes, runtime,
                networkMode);
    }

    /** Sets every container setting on {@code cmd}; nothing else touches a create command. */
    public CreateContainerCmd applyTo(CreateContainerCmd cmd) {
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
        return cmd.withImage(image)
                .withLabels(labels)
                .withUser(SANDBOX_USER)
                .withWorkingDir(WORKSPACE_DIR)
                .withEntrypoint("sleep")
                .withCmd("infinity")
                .withAttachStdin(false)
                .withStdinOpen(false)
                .withTty(false)
                .withHostConfig(host);
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
