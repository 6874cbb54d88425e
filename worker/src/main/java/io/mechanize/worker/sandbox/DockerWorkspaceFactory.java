package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceFactory;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workspaces as hardened Docker containers (see {@link ContainerSpec}). Creation is: fetch the
 * snapshot (see {@link SnapshotPlacement}), create the container, start it, stream the snapshot
 * as one tar into {@code tar -x} inside it, bind it to a {@link Workspace}. Anything that fails on the way removes the container.
 */
public final class DockerWorkspaceFactory implements WorkspaceFactory {
    private static final Logger log = LoggerFactory.getLogger(DockerWorkspaceFactory.class);

    private final DockerEngine engine;
    private final String workerId;
    private final Map<String, String> extraLabels;
    private final WorkspaceBinder binder;
    private final Clock clock;
    private final WorkspaceNetworks networks;
    private final Duration helperIdleExit;
    /** container id to container, for every container this factory created and not yet removed. */
    private final Map<String, SandboxContainer> held = new ConcurrentHashMap<>();
    /** This worker's own containers younger than this are never taken for orphans (one sweep later they may be). */
    static final Duration OWN_ORPHAN_MIN_AGE = Duration.ofMinutes(2);
    /**
     * A container start that the engine fails (a 5xx such as "failed to create shim task" under
     * overload, or a shell session lost during placement) is tried again with a new container, at
     * most this many times in all; a missing image or a bad snapshot is not.
     */
    static final int START_ATTEMPTS = 3;
    private static final Duration START_BACKOFF = Duration.ofSeconds(1);
    /** Warm containers, or null when the pool is off. */
    private final WarmPool pool;
    /** How long a pool key nobody takes is still refilled. */
    static final Duration POOL_KEY_TTL = Duration.ofMinutes(10);
    /**
     * How long a workspace's resident helper (file, git and IDE actions) waits for a request before
     * it exits: an interpreter of 8-12 MB per workspace is given back while the agent is away,
     * and the next file action after that pays one interpreter start (tens of milliseconds).
     */
    public static final Duration HELPER_IDLE_EXIT = Duration.ofMinutes(2);

    /**
     * @param engine the shared Docker client; not closed by this factory
     * @param workerId this worker's id: every {@link WorkspaceRef} it creates must carry it
     * @param extraLabels labels added to every container (e.g. {@code mechanize.test=true})
     * @param binder makes the {@link Workspace}, usually {@code DockerWorkspace::new}
     * @param clock for durations and snapshot file times
     */
    public DockerWorkspaceFactory(
            DockerEngine engine, String workerId, Map<String, String> extraLabels, WorkspaceBinder binder, Clock clock) {
        this(engine, workerId, extraLabels, binder, clock, 0);
    }

    /**
     * @param poolSize containers kept started and warm per (image, limits, runtime, network) in a
     *     {@link WarmPool}; 0: no pool, every workspace starts its own container
     */
    public DockerWorkspaceFactory(DockerEngine engine, String workerId, Map<String, String> extraLabels,
            WorkspaceBinder binder, Clock clock, int poolSize) {
        this(engine, workerId, extraLabels, binder, clock, poolSize, HELPER_IDLE_EXIT);
    }

    /**
     * @param helperIdleExit how long a workspace's resident helper may wait for a request before it
     *     exits (zero: for ever); the next file action starts another
     */
    public DockerWorkspaceFactory(DockerEngine engine, String workerId, Map<String, String> extraLabels,
            WorkspaceBinder binder, Clock clock, int poolSize, Duration helperIdleExit) {
        this(engine, workerId, extraLabels, binder, clock, poolSize, EgressFirewall.system(), helperIdleExit);
    }

    /**
     * As above, with the firewall that guards network workspaces (tests pass a broken one) and how
     * long a resident helper may be idle (zero: for ever).
     */
    DockerWorkspaceFactory(DockerEngine engine, String workerId, Map<String, String> extraLabels, WorkspaceBinder binder,
            Clock clock, int poolSize, EgressFirewall firewall, Duration helperIdleExit) {
        if (poolSize < 0) {
            throw new IllegalArgumentException("poolSize must be 0 (off) or more, got " + poolSize);
        }
        if (requireNonNull(helperIdleExit, "helperIdleExit is null").isNegative()) {
            throw new IllegalArgumentException("helperIdleExit must be zero (never) or more, got " + helperIdleExit);
        }
        this.helperIdleExit = helperIdleExit;
        this.engine = requireNonNull(engine, "engine is null");
        this.workerId = requireNonNull(workerId, "workerId is null");
        this.extraLabels = Map.copyOf(requireNonNull(extraLabels, "extraLabels is null"));
        this.binder = requireNonNull(binder, "binder is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.networks = new WorkspaceNetworks(engine.client(), firewall);
        Map<String, String> poolLabels = new HashMap<>(this.extraLabels);
        poolLabels.put(ContainerSpec.LABEL_MANAGED, "true");
        poolLabels.put(ContainerSpec.LABEL_WORKER, workerId);
        this.pool = poolSize == 0 ? null : new WarmPool(poolSize, POOL_KEY_TTL, poolLabels, this::startWarm, clock);
    }

    /**
     * Keeps the pool filled for {@code template}'s image, limits and policy from now on, before
     * any workspace asks (the fleet's usual settings). Does nothing when the pool is off.
     */
    public void prewarm(CreateWorkspace template) {
        if (pool != null) {
            pool.prime(ContainerSpec.forWorkspace(new WorkspaceRef("pool", "pool", workerId), template, extraLabels));
        }
    }

    /** Containers ready in the warm pool now (0 when it is off). */
    @Override
    public int warmContainers() {
        return pool == null ? 0 : pool.ready();
    }

    @Override
    public Workspace create(WorkspaceRef ref, CreateWorkspace command) throws WorkspaceException {
        requireNonNull(ref, "ref is null");
        requireNonNull(command, "command is null");
        if (!ref.workerId().equals(workerId)) {
            throw new IllegalArgumentException(
                    "workspace " + ref.workspaceId() + " names worker " + ref.workerId() + " but this factory is " + workerId);
        }
        ContainerSpec spec;
        try {
            spec = ContainerSpec.forWorkspace(ref, command, extraLabels);
        } catch (IllegalArgumentException e) {
            throw new WorkspaceException("create", e.getMessage(), e);
        }
        SnapshotPlacement.Tar snapshot = new SnapshotPlacement(engine.client(), clock).fetch(command, spec.labels());
        // a network workspace gets a bridge of its own, so it never comes from the pool
        boolean networked = command.getPolicy().getAllowNetwork();
        SandboxContainer pooled = pool == null || networked ? null : pool.take(spec);
        if (pooled != null) {
            log.info("container {} taken from the warm pool for workspace {} (run {})", pooled.id(), ref.workspaceId(),
                    ref.runId());
            try {
                return place(ref, command, pooled, snapshot, true);
            } catch (WorkspaceException | RuntimeException e) {
                // a pooled container that went bad while it waited costs a cold start, not the workspace
                log.warn("pooled container {} failed for workspace {}: {}; starting a new one", pooled.id(),
                        ref.workspaceId(), e.getMessage());
            } finally {
                pool.settled();
            }
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return startAndPlace(ref, command, spec, snapshot);
            } catch (WorkspaceException e) {
                if (attempt == START_ATTEMPTS || !engineFailure(e)) {
                    throw e;
                }
                log.warn("workspace {}: attempt {} of {} failed on the engine ({}); trying a new container", ref.workspaceId(),
                        attempt, START_ATTEMPTS, e.getMessage());
                try {
                    Thread.sleep(START_BACKOFF.multipliedBy(attempt));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Whether the engine or the container failed (worth another container), not the image or the snapshot. */
    static boolean engineFailure(WorkspaceException e) {
        return e.getCause() instanceof EngineFailure
                || e.getCause() instanceof DockerException && !(e.getCause() instanceof NotFoundException);
    }

    private Workspace startAndPlace(WorkspaceRef ref, CreateWorkspace command, ContainerSpec spec,
            SnapshotPlacement.Tar snapshot) throws WorkspaceException {
        WorkspaceNetworks.Lease network = networks.open(spec, WorkspaceNetwork.forWorkspace(ref), command.getPolicy());
        SandboxContainer container;
        try {
            container = start(spec, network);
        } catch (WorkspaceException | RuntimeException e) {
            network.close();
            throw e;
        }
        return place(ref, command, container, snapshot, false);
    }

    private Workspace place(WorkspaceRef ref, CreateWorkspace command, SandboxContainer container,
            SnapshotPlacement.Tar snapshot, boolean fromPool) throws WorkspaceException {
        try {
            int files = SnapshotPlacement.place(container, snapshot);
            return binder.bind(ref, command, new HeldContainer(container, fromPool), files);
        } catch (WorkspaceException | RuntimeException e) {
            forget(container);
            throw e;
        }
    }

    /** A pooled container: started, its default shell session running. */
    private SandboxContainer startWarm(ContainerSpec spec) throws WorkspaceException {
        SandboxContainer container = start(spec, WorkspaceNetworks.Lease.NONE);
        try {
            ((DockerSandboxContainer) container).prestart(SandboxContainer.DEFAULT_SESSION);
            return container;
        } catch (WorkspaceException | RuntimeException e) {
            forget(container);
            throw e;
        }
    }

    private SandboxContainer start(ContainerSpec spec, WorkspaceNetworks.Lease network) throws WorkspaceException {
        DockerClient client = engine.client();
        String id;
        try {
            id = create(client, spec);
        } catch (NotFoundException e) {
            throw new WorkspaceException("create", "image " + spec.image() + " is not present on the Docker engine; "
                    + "build it with: docker build -t " + spec.image() + " images/dev-env", e);
        } catch (DockerException e) {
            throw new WorkspaceException("create", "creating a container from " + spec.image() + " failed: " + e.getMessage(), e);
        }
        DockerSandboxContainer container = new DockerSandboxContainer(client, id, clock, network, engine.socket());
        held.put(id, container);
        try {
            // the default session's driver is the container's main process: attached to before it
            // starts, so nothing it says is missed, and no exec is needed for it
            container.attachMainSession();
        } catch (WorkspaceException e) {
            forget(container);
            throw e;
        }
        try {
            client.startContainerCmd(id).exec();
        } catch (DockerException e) {
            forget(container);
            throw new WorkspaceException("create", "starting container " + id + " from " + spec.image() + " failed: "
                    + e.getMessage(), e);
        }
        log.info("container {} started for workspace {} (run {})", id,
                spec.labels().getOrDefault(ContainerSpec.LABEL_WORKSPACE, "(warm pool)"),
                spec.labels().get(ContainerSpec.LABEL_RUN));
        return container;
    }

    /**
     * Creates the container; if the engine refuses the hosts file's path (its volume was pruned
     * since it was placed), places the file again and creates once more.
     */
    private String create(DockerClient client, ContainerSpec spec) {
        String hosts = engine.loopbackHosts(spec.image());
        try {
            return create(client, spec, hosts);
        } catch (DockerException e) {
            if (hosts == null || e.getMessage() == null || !e.getMessage().contains(hosts)) {
                throw e;
            }
            log.warn("the engine refused the hosts file {} ({}); placing it again", hosts, e.getMessage().strip());
            engine.forgetLoopbackHosts(hosts);
        }
        return create(client, spec, engine.loopbackHosts(spec.image()));
    }

    private String create(DockerClient client, ContainerSpec spec, String hosts) {
        try (CreateContainerCmd cmd = client.createContainerCmd(spec.image())) {
            return spec.applyToWithSession(cmd, DockerSandboxContainer.sessionStateDir(SandboxContainer.DEFAULT_SESSION),
                    helperIdleExit, hosts).exec().getId();
        }
    }

    static Map<String, byte[]> inlineFiles(InlineSnapshot inline) throws WorkspaceException {
        Map<String, byte[]> files = new HashMap<>();
        inline.getFiles().forEach((path, text) -> files.put(path, text.getBytes(StandardCharsets.UTF_8)));
        for (Map.Entry<String, ByteBuffer> e : inline.getBinaryFiles().entrySet()) {
            ByteBuffer buffer = e.getValue().duplicate();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            if (files.put(e.getKey(), bytes) != null) {
                throw new WorkspaceException("snapshot", "snapshot path '" + e.getKey() + "' is in both files and binary_files");
            }
        }
        return files;
    }

    @Override
    public int removeOrphans(Set<String> liveWorkerIds, Set<String> workspacesInUse) {
        requireNonNull(liveWorkerIds, "liveWorkerIds is null");
        requireNonNull(workspacesInUse, "workspacesInUse is null");
        List<Container> managed;
        // only containers that carry this factory's labels too (its fleet's group, a test's run):
        // another fleet on the same engine is none of its business
        Map<String, String> scope = new java.util.HashMap<>(extraLabels);
        scope.put(ContainerSpec.LABEL_MANAGED, "true");
        try {
            managed = engine.client().listContainersCmd()
                    .withShowAll(true)
                    .withLabelFilter(scope)
                    .exec();
        } catch (DockerException e) {
            log.warn("listing managed containers failed, no orphans removed: {}", e.getMessage());
            return 0;
        }
        int removed = 0;
        long now = clock.instant().getEpochSecond();
        for (Container c : managed) {
            if (workerId.equals(c.getLabels() == null ? null : c.getLabels().get(ContainerSpec.LABEL_WORKER))
                    && c.getCreated() != null && now - c.getCreated() < OWN_ORPHAN_MIN_AGE.toSeconds()) {
                // the engine lists a container as soon as it exists, and under load that can be long
                // before the create call returns to the lane that is starting it: not an orphan yet
                continue;
            }
            String reason = orphanReason(c.getLabels(), c.getId(), liveWorkerIds, workspacesInUse);
            if (reason != null && remove(c.getId(), reason)) {
                removed++;
            }
        }
        // networks of dead workers only: this worker's own go with their containers
        return removed + networks.removeOrphans(scope, labels -> {
            String owner = labels.get(ContainerSpec.LABEL_WORKER);
            return owner != null && !owner.equals(workerId) && !liveWorkerIds.contains(owner)
                    ? "its worker " + owner + " is not live" : null;
        });
    }

    /** Why the container is an orphan, or null when it must stay. */
    String orphanReason(Map<String, String> labels, String containerId, Set<String> liveWorkerIds, Set<String> inUse) {
        String owner = labels == null ? null : labels.get(ContainerSpec.LABEL_WORKER);
        String workspace = labels == null ? null : labels.get(ContainerSpec.LABEL_WORKSPACE);
        if (owner == null) {
            return "it has no " + ContainerSpec.LABEL_WORKER + " label";
        }
        if (owner.equals(workerId)) {
            if (held.containsKey(containerId) || (workspace != null && inUse.contains(workspace))) {
                return null;
            }
            return workspace == null ? "a pooled container this worker no longer holds"
                    : "workspace " + workspace + " of this worker is not in use";
        }
        return liveWorkerIds.contains(owner) ? null : "its worker " + owner + " is not live";
    }

    private boolean remove(String containerId, String reason) {
        try {
            if (!ContainerRemoval.remove(engine.client(), containerId)) {
                return false;
            }
            log.info("removed orphaned container {}: {}", containerId, reason);
            return true;
        } catch (DockerException e) {
            log.warn("removing orphaned container {} failed: {}", containerId, e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void forget(SandboxContainer container) {
        held.remove(container.id());
        container.close();
    }

    /** How many containers this factory holds now. */
    public int heldContainers() {
        return held.size();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
        for (SandboxContainer c : List.copyOf(held.values())) {
            forget(c);
        }
        removeEverythingOfThisWorker();
    }

    /**
     * The last word on close: every container that carries this worker's labels goes, whatever
     * happened to it (a pooled container whose start raced the shutdown, a removal that failed).
     * This worker is leaving, so none of them is anyone's.
     */
    private void removeEverythingOfThisWorker() {
        Map<String, String> mine = new HashMap<>(extraLabels);
        mine.put(ContainerSpec.LABEL_MANAGED, "true");
        mine.put(ContainerSpec.LABEL_WORKER, workerId);
        try {
            for (Container c : engine.client().listContainersCmd().withShowAll(true).withLabelFilter(mine).exec()) {
                remove(c.getId(), "its worker " + workerId + " is closing");
            }
        } catch (DockerException e) {
            log.warn("listing this worker's containers on close failed; the orphan sweep of another worker removes "
                    + "them: {}", e.getMessage());
        }
    }

    /** Lets the factory forget a container when its workspace closes it. */
    private final class HeldContainer implements SandboxContainer {
        private final SandboxContainer delegate;
        private final boolean fromPool;

        HeldContainer(SandboxContainer delegate, boolean fromPool) {
            this.delegate = delegate;
            this.fromPool = fromPool;
        }

        @Override
        public boolean fromPool() {
            return fromPool;
        }

        @Override
        public String id() {
            return delegate.id();
        }

        @Override
        public ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout, int maxOutputBytes)
                throws WorkspaceException {
            return delegate.exec(argv, env, stdin, timeout, maxOutputBytes);
        }

        @Override
        public ShellResult shell(String session, ShellRequest request) throws WorkspaceException {
            return delegate.shell(session, request);
        }

        @Override
        public void close() {
            forget(delegate);
        }
    }
}
