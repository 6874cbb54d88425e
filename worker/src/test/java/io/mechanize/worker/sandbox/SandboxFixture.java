package io.mechanize.worker.sandbox;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.worker.actions.DockerWorkspace;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One engine and factory for an integration test class, and short ways to run actions. */
final class SandboxFixture implements AutoCloseable {
    static final Map<String, String> TEST_LABELS = Map.of("mechanize.test", "true");
    final String workerId = "it-worker-" + UUID.randomUUID();
    final DockerEngine engine;
    final DockerWorkspaceFactory factory;
    private int actions;

    SandboxFixture() {
        this(DockerWorkspace::new);
    }

    /** With {@code binder} making each workspace (to see its container, say). */
    SandboxFixture(WorkspaceBinder binder) {
        this(binder, DockerWorkspaceFactory.HELPER_IDLE_EXIT);
    }

    /** With {@code binder}, and resident helpers that exit after {@code helperIdleExit} without a request. */
    SandboxFixture(WorkspaceBinder binder, java.time.Duration helperIdleExit) {
        this(DockerEngine.fromEnvironment(), binder, helperIdleExit);
    }

    /**
     * On {@code engine}, reached some other way than the environment says (closed with the
     * fixture), with {@code binder} making each workspace.
     */
    SandboxFixture(DockerEngine engine, WorkspaceBinder binder) {
        this(engine, binder, DockerWorkspaceFactory.HELPER_IDLE_EXIT);
    }

    private SandboxFixture(DockerEngine engine, WorkspaceBinder binder, java.time.Duration helperIdleExit) {
        this.engine = engine;
        factory = new DockerWorkspaceFactory(engine, workerId, TEST_LABELS, binder, Clock.systemUTC(), 0,
                EgressFirewall.system(), helperIdleExit);
    }

    Workspace create(String id, Object snapshot) throws WorkspaceException {
        return factory.create(new WorkspaceRef(id, "run-it", workerId), command(snapshot));
    }

    static CreateWorkspace command(Object snapshot) {
        return CreateWorkspace.newBuilder()
                .setTask(TaskSpec.newBuilder().setTaskId("task-it").setSnapshot(snapshot)
                        .setEvaluationCriteria(List.of()).build())
                .setLimits(ResourceLimits.newBuilder().setMemoryMb(256).setPidsLimit(128).build())
                .setPolicy(SandboxPolicy.newBuilder().build())
                .build();
    }

    ActionResult run(Workspace ws, Object payload) throws WorkspaceException {
        return ws.execute(Action.newBuilder().setActionId("a-" + UUID.randomUUID()).setPayload(payload).build(), actions++);
    }

    ActionResult sh(Workspace ws, String command) throws WorkspaceException {
        return run(ws, TerminalCommandAction.newBuilder().setCommand(command).setTimeout(30).build());
    }

    static FileEditAction.Builder edit(String path, String operation) {
        return FileEditAction.newBuilder().setFilePath(path).setOperation(operation);
    }

    @Override
    public void close() {
        factory.close();
        engine.close();
    }
}
