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
        // the agent's own tools go through its shell session: tests as a raw command, file, git
        // and IDE actions to the helper the session keeps. The evaluation keeps an exec per step
        // (its verdicts must not come through a process the agent can write to)
        this.measuredHelper = Helper.inSession(container);
        this.fileEdits = new FileEditHandler(measuredHelper);
        this.git = new GitOperationHandler(measuredHelper);
        this.tests = new TestRunHandler(TestRunner.inSession(container), command.getLimits());
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
            // every action is one round trip to the workspace's shell session (a test run's report
            // takes a second), which measures it on the way
            Instant start = clock.instant();
            Outcome outcome = switch (action.getPayload()) {
                case TerminalCommandAction command -> terminal.run(command, draft);
                case TestRunAction testRun -> tests.run(testRun, draft);
                case FileEditAction edit -> helperAction(() -> fileEdits.run(edit, draft));
                case GitOperationAction op -> helperAction(() -> git.run(op, draft));
                case IdeAction op -> helperAction(() -> ide.run(op, draft));
                default -> Outcome.refused(draft.setErrorMessage("action type " + type + " is not implemented by this worker"));
            };
            ActionResult.Builder done = outcome.result().setExecutionTimeMs(Duration.between(start, clock.instant()).toMillis());
            UsageReport usage = outcome.usage();
            ActionResult result = ActionObservation.apply(done, usage, limits).build();
            log.debug("action {} #{} {}: success={}", action.getActionId(), index, type, result.getSuccess());
            return result;
        }
    }

    /** An action that makes one request to the session's helper, measured by the session. */
    private Outcome helperAction(HelperAction action) throws WorkspaceException {
        measuredHelper.takeUsage();
        ActionResult.Builder result = action.run();
        return new Outcome(result, measuredHelper.takeUsage());
    }

    @FunctionalInterface
    private interface HelperAction {
        ActionResult.Builder run() throws WorkspaceException;
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
