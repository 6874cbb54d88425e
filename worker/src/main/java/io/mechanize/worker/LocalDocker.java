package io.mechanize.worker;

import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.worker.actions.DockerWorkspace;
import io.mechanize.worker.consume.TopicBootstrap;
import io.mechanize.worker.sandbox.DockerEngine;
import io.mechanize.worker.sandbox.DockerWorkspaceFactory;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceFactory;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

/**
 * Workspaces on the Docker engine that {@code DOCKER_HOST} names (default: the local socket):
 * the factory a worker process uses. The engine connection lives as long as the factory.
 */
public final class LocalDocker implements WorkspaceFactory {
    private final DockerEngine engine;
    private final DockerWorkspaceFactory factory;

    private LocalDocker(DockerEngine engine, DockerWorkspaceFactory factory) {
        this.engine = engine;
        this.factory = factory;
    }

    /** The label that names a container's fleet (its consumer group); orphan sweeps stay inside it. */
    public static final String LABEL_GROUP = "mechanize.group";
    /** The id of the Kafka cluster of a container's fleet. */
    public static final String LABEL_CLUSTER = "mechanize.cluster";

    /**
     * The factory for a worker of {@code config}: its containers carry its worker id and its
     * group, and its orphan sweeps only touch containers of that group.
     */
    public static LocalDocker forWorker(WorkerConfig config, Map<String, String> extraLabels) {
        Map<String, String> labels = new java.util.HashMap<>(extraLabels);
        labels.put(LABEL_GROUP, config.groupId());
        // a group name is only unique within its cluster: two fleets on one engine (two demos, a test
        // run beside a demo) must not take each other's containers for orphans
        labels.put(LABEL_CLUSTER, TopicBootstrap.clusterId(config.bootstrapServers(),
                io.mechanize.schemas.ClientProperties.kafkaOnly(config.kafkaOverrides())));
        DockerEngine engine = DockerEngine.fromEnvironment();
        var factory = new DockerWorkspaceFactory(engine, config.workerId(), labels, DockerWorkspace::new,
                Clock.systemUTC(), config.poolSize(), config.helperIdleExit());
        factory.prewarm(defaultWorkspace(config.poolRuntime()));
        return new LocalDocker(engine, factory);
    }

    /**
     * The default image, limits and policy under {@code runtime} (null: the engine's default): the
     * warm pool keeps this key filled from the start.
     */
    private static CreateWorkspace defaultWorkspace(String runtime) {
        io.mechanize.schemas.AvroTrust.trustContractClasses(); // builders deep-copy defaults
        return CreateWorkspace.newBuilder()
            .setTask(TaskSpec.newBuilder().setTaskId("warm-pool").build())
            .setLimits(ResourceLimits.newBuilder().build())
            .setPolicy(SandboxPolicy.newBuilder().setRuntime(runtime).build())
            .build();
    }

    /**
     * @param workerId the worker whose containers these are (their {@code mechanize.worker} label)
     * @param extraLabels labels added to every container, e.g. {@code mechanize.test=true}
     * @throws IllegalStateException when no Docker engine answers
     */
    public static LocalDocker workspaceFactory(String workerId, Map<String, String> extraLabels) {
        DockerEngine engine = DockerEngine.fromEnvironment();
        return new LocalDocker(engine, new DockerWorkspaceFactory(engine, workerId, extraLabels, DockerWorkspace::new,
                Clock.systemUTC()));
    }

    @Override
    public Workspace create(WorkspaceRef ref, CreateWorkspace command) throws WorkspaceException {
        return factory.create(ref, command);
    }

    @Override
    public int warmContainers() {
        return factory.warmContainers();
    }

    @Override
    public int removeOrphans(Set<String> liveWorkerIds, Set<String> workspacesInUse) {
        return factory.removeOrphans(liveWorkerIds, workspacesInUse);
    }

    @Override
    public void close() {
        try {
            factory.close();
        } finally {
            engine.close();
        }
    }
}
