package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.GitOperationAction;
import io.mechanize.schemas.avro.IdeAction;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.TestRunAction;
import io.mechanize.worker.evaluation.Evaluator;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.sandbox.UsageReport;
import io.mechanize.worker.sandbox.UsageWindow;
import io.mechanize.worker.toolkit.Helper;
import io.mechanize.worker.toolkit.TestRunner;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import io.mechanize.worker.workspace.WorkspaceRef;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A workspace in a sandbox container: dispatches each action on its payload's Avro type to
 * the handler for that type, and measures it. Bind it with
 * {@code new DockerWorkspaceFactory(engine, workerId, labels, DockerWorkspace::new, clock)}.
 */
public final class DockerWorkspace implements Workspace {
    private static final Logger log = LoggerFactory.getLogger(DockerWorkspace.class);

    private final WorkspaceRef ref;
    private final SandboxContainer container;
    private final int snapshotFiles;
    private final Clock clock;
    private final Helper measuredHelper;
    private final FileEditHandler fileEdits;
    private final TerminalCommandHandler terminal;
    private final GitOperationHandler git;
    private final TestRunHandler tests;
    private final IdeActionHandler ide;
    private final Evaluator evaluator;
    private final ResourceLimits limits;

    public DockerWorkspace(WorkspaceRef ref, CreateWorkspace command, SandboxContainer container, int snapshotFiles) {
        this(ref, command, container, snapshotFiles, Clock.systemUTC());
    }

    public DockerWorkspace(WorkspaceRef ref, CreateWorkspace command, SandboxContainer container, int snapshotFiles,
            Clock clock) {
        this.ref = requireNonNull(ref, "ref is null");
        this.container = requireNonNull(container, "container is null");
        this.snapshotFiles = snapshotFiles;
        this.clock = requireNonNull(clock, "clock is null");
        requireNonNull(command, "command is null");
        this.limits = command.getLimits();
        // the agent's own tools go to the helper its shell session keeps; the evaluation and the
        // test runner keep an exec each (their verdicts must not come through a process the agent
        // can write to). A file, git or IDE action is one request, measured in its round trip
        this.measuredHelper = Helper.inSession(container);
        this.fileEdits = new FileEditHandler(measuredHelper);
        this.git = new GitOperationHandler(measuredHelper);
        this.tests = new TestRunHandler(new TestRunner(container), command.getLimits());
        this.ide = new IdeActionHandler(measuredHelper);
        this.terminal = new TerminalCommandHandler(container, command.getLimits());
        this.evaluator = new Evaluator(container, command.getLimits(), clock);
    }

    @Override
    public WorkspaceRef ref() {
        return ref;
    }

    @Override
    public String containerId() {
        return container.id();
    }

    @Override
    public boolean fromPool() {
        return container.fromPool();
    }

    @Override
    public int snapshotFiles() {
        return snapshotFiles;
    }

    @Override
    public ActionResult execute(Action action, int index) throws WorkspaceException {
        requireNonNull(action, "action is null");
        try (var ws = MDC.putCloseable("workspace", ref.workspaceId()); var run = MDC.putCloseable("run", ref.runId())) {
            ActionType type = typeOf(action.getPayload());
            ActionResult.Builder draft = ActionResults.draft(action.getActionId(), index, type);
            ActionResult.Builder done;
            UsageReport usage;
            if (action.getPayload() instanceof TerminalCommandAction command) {
                // the shell session measures its command in the same round trip
                Instant start = clock.instant();
                TerminalCommandHandler.Outcome outcome = terminal.run(command, draft);
                done = outcome.result().setExecutionTimeMs(Duration.between(start, clock.instant()).toMillis());
                usage = outcome.usage();
            } else if (action.getPayload() instanceof FileEditAction || action.getPayload() instanceof IdeAction
                    || action.getPayload() instanceof GitOperationAction) {
                // one helper request, which the session measures in the same round trip; an action
                // refused before it reaches the container is unmeasured
                measuredHelper.takeUsage();
                Instant start = clock.instant();
                done = dispatch(action.getPayload(), type, draft);
                done.setExecutionTimeMs(Duration.between(start, clock.instant()).toMillis());
                usage = measuredHelper.takeUsage();
            } else {
                UsageWindow window = container.openUsageWindow();
                Instant start = clock.instant();
                try {
                    done = dispatch(action.getPayload(), type, draft);
                } catch (WorkspaceException | RuntimeException e) {
                    window.finish();
                    throw e;
                }
                done.setExecutionTimeMs(Duration.between(start, clock.instant()).toMillis());
                usage = window.finish();
            }
            ActionResult result = ActionObservation.apply(done, usage, limits).build();
            log.debug("action {} #{} {}: success={}", action.getActionId(), index, type, result.getSuccess());
            return result;
        }
    }

    private ActionResult.Builder dispatch(Object payload, ActionType type, ActionResult.Builder draft)
            throws WorkspaceException {
        return switch (payload) {
            case FileEditAction edit -> fileEdits.run(edit, draft);
            case GitOperationAction op -> git.run(op, draft);
            case TestRunAction testRun -> tests.run(testRun, draft);
            case IdeAction op -> ide.run(op, draft);
            default -> draft.setErrorMessage("action type " + type + " is not implemented yet by this worker");
        };
    }

    static ActionType typeOf(Object payload) {
        return switch (payload) {
            case FileEditAction p -> ActionType.FILE_EDIT;
            case TerminalCommandAction p -> ActionType.TERMINAL_COMMAND;
            case GitOperationAction p -> ActionType.GIT_OPERATION;
            case TestRunAction p -> ActionType.TEST_RUN;
            case IdeAction p -> ActionType.IDE_ACTION;
            case null, default -> throw new IllegalArgumentException("unknown action payload "
                    + (payload == null ? "null" : payload.getClass().getName()));
        };
    }

    @Override
    public EvaluationMetrics evaluate(List<EvaluationCriterion> criteria) throws WorkspaceException {
        try (var ws = MDC.putCloseable("workspace", ref.workspaceId()); var run = MDC.putCloseable("run", ref.runId())) {
            return evaluator.evaluate(criteria);
        }
    }

    @Override
    public void close() {
        container.close();
    }
}
