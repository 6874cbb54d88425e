package io.mechanize.worker.command;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.ResourceUsage;
import io.mechanize.schemas.avro.StateChanges;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceFactory;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory stand-in for the Docker factory, for unit tests of the Kafka side only: a
 * terminal command "fail" fails, anything else succeeds; "die" makes the container vanish.
 */
public final class FakeWorkspaceFactory implements WorkspaceFactory {
    public final List<String> created = new CopyOnWriteArrayList<>();
    public final List<String> closed = new CopyOnWriteArrayList<>();
    public final List<String> executed = new CopyOnWriteArrayList<>();
    public volatile String failCreateWith;

    @Override
    public Workspace create(WorkspaceRef ref, CreateWorkspace command) throws WorkspaceException {
        if (failCreateWith != null) {
            throw new WorkspaceException("create", failCreateWith);
        }
        created.add(ref.workspaceId());
        return new FakeWorkspace(ref);
    }

    @Override
    public int warmContainers() {
        return 0;
    }

    @Override
    public int removeOrphans(Set<String> liveWorkerIds, Set<String> workspacesInUse) {
        return 0;
    }

    @Override
    public void close() {}

    private final class FakeWorkspace implements Workspace {
        private final WorkspaceRef ref;
        private boolean gone;

        FakeWorkspace(WorkspaceRef ref) {
            this.ref = ref;
        }

        @Override
        public WorkspaceRef ref() {
            return ref;
        }

        @Override
        public String containerId() {
            return "fake-" + ref.workspaceId();
        }

        @Override
        public int snapshotFiles() {
            return 0;
        }

        @Override
        public ActionResult execute(Action action, int index) throws WorkspaceException {
            String command = action.getPayload() instanceof TerminalCommandAction t ? t.getCommand() : "?";
            executed.add(ref.workspaceId() + ":" + command);
            if (command.equals("die") || gone) {
                gone = true;
                throw new WorkspaceException("action", "container exited with code 137 (OOMKilled)");
            }
            boolean ok = !command.equals("fail");
            return ActionResult.newBuilder()
                    .setActionId(action.getActionId())
                    .setActionIndex(index)
                    .setActionType(ActionType.TERMINAL_COMMAND)
                    .setSuccess(ok)
                    .setExecutionTimeMs(1)
                    .setExitCode(ok ? 0 : 1)
                    .setResourceUsage(ResourceUsage.newBuilder().build())
                    .setSecurityViolations(new ArrayList<>())
                    .setStateChanges(StateChanges.newBuilder().build())
                    .build();
        }

        @Override
        public EvaluationMetrics evaluate(List<EvaluationCriterion> criteria) {
            return EvaluationMetrics.newBuilder()
                    .setCriteriaResults(List.of())
                    .setCompletionPercentage(100.0)
                    .setPassed(true)
                    .setDurationMs(1)
                    .build();
        }

        @Override
        public void close() {
            closed.add(ref.workspaceId());
        }
    }
}
