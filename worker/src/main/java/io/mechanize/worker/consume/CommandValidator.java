package io.mechanize.worker.consume;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.EvaluateWorkspace;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.GitOperationAction;
import io.mechanize.schemas.avro.IdeAction;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.TestRunAction;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a decoded command before it reaches a workspace. Each problem is reported with the
 * path of the field at fault, e.g. {@code body.actions[2].payload.timeout: must be positive, got -1}.
 */
public final class CommandValidator {
    public static final Set<String> FILE_OPERATIONS =
            Set.of("read", "write", "edit", "str_replace", "insert", "delete", "patch");
    public static final Set<String> GIT_OPERATIONS =
            Set.of("init", "status", "diff", "add", "commit", "checkout", "branch", "log", "reset", "apply");
    public static final Set<String> TEST_FRAMEWORKS = Set.of("pytest", "junit-xml", "go-json", "generic");
    public static final Set<String> IDE_OPERATIONS = Set.of("search", "find_files", "list_dir", "view", "diagnostics");
    public static final Set<String> ENCODINGS = Set.of("utf-8", "base64");

    private CommandValidator() {}

    /** The first problem found, or empty when the command is valid. */
    public static Optional<String> validate(SimulationCommand command, String recordKey) {
        if (blank(command.getWorkspaceId())) {
            return problem("workspace_id", "must not be empty");
        }
        if (recordKey != null && !recordKey.equals(command.getWorkspaceId())) {
            return problem("workspace_id", "'" + command.getWorkspaceId() + "' differs from the record key '"
                    + recordKey + "'; the key must be the workspace id so its commands share a partition");
        }
        if (blank(command.getRunId())) {
            return problem("run_id", "must not be empty");
        }
        if (command.getSeq() < 0) {
            return problem("seq", "must be 0 or more, got " + command.getSeq());
        }
        Object body = command.getBody();
        if (body instanceof CreateWorkspace create) {
            return validateCreate(create);
        } else if (body instanceof ActionBatch batch) {
            return validateBatch(batch);
        } else if (body instanceof EvaluateWorkspace evaluate && evaluate.getCriteria() != null) {
            return validateCriteria("body.criteria", evaluate.getCriteria());
        }
        return Optional.empty();
    }

    private static Optional<String> validateCreate(CreateWorkspace create) {
        if (create.getTask() == null) {
            return problem("body.task", "is missing");
        }
        if (blank(create.getTask().getTaskId())) {
            return problem("body.task.task_id", "must not be empty");
        }
        if (blank(create.getImage())) {
            return problem("body.image", "must not be empty");
        }
        ResourceLimits limits = create.getLimits();
        if (limits.getMemoryMb() < 16) {
            return problem("body.limits.memory_mb", "must be at least 16, got " + limits.getMemoryMb());
        }
        if (!(limits.getCpuCores() > 0)) {
            return problem("body.limits.cpu_cores", "must be positive, got " + limits.getCpuCores());
        }
        if (limits.getPidsLimit() < 8) {
            return problem("body.limits.pids_limit", "must be at least 8, got " + limits.getPidsLimit());
        }
        if (limits.getWorkspaceDiskMb() < 1 || limits.getTmpDiskMb() < 1) {
            return problem("body.limits.workspace_disk_mb", "disk quotas must be positive");
        }
        if (limits.getMaxOutputBytes() < 1024) {
            return problem("body.limits.max_output_bytes", "must be at least 1024, got " + limits.getMaxOutputBytes());
        }
        if (limits.getDefaultTimeout() < 1) {
            return problem("body.limits.default_timeout", "must be positive, got " + limits.getDefaultTimeout());
        }
        return validateCriteria("body.task.evaluation_criteria", create.getTask().getEvaluationCriteria());
    }

    private static Optional<String> validateCriteria(String path, List<EvaluationCriterion> criteria) {
        for (int i = 0; i < criteria.size(); i++) {
            EvaluationCriterion c = criteria.get(i);
            String at = path + "[" + i + "]";
            switch (c.getType()) {
                case COMMAND, TESTS -> {
                    if (blank(c.getCommand())) {
                        return problem(at + ".command", "is required for a " + c.getType() + " criterion");
                    }
                }
                case FILE_EXISTS -> {
                    if (blank(c.getFilePath())) {
                        return problem(at + ".file_path", "is required for a FILE_EXISTS criterion");
                    }
                }
                case FILE_CONTAINS -> {
                    if (blank(c.getFilePath()) || blank(c.getPattern())) {
                        return problem(at, "a FILE_CONTAINS criterion needs file_path and pattern");
                    }
                }
            }
            if (c.getTimeout() != null && c.getTimeout() <= 0) {
                return problem(at + ".timeout", "must be positive, got " + c.getTimeout());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> validateBatch(ActionBatch batch) {
        List<Action> actions = batch.getActions();
        if (actions.isEmpty()) {
            return problem("body.actions", "must hold at least one action");
        }
        for (int i = 0; i < actions.size(); i++) {
            String at = "body.actions[" + i + "]";
            Action action = actions.get(i);
            if (blank(action.getActionId())) {
                return problem(at + ".action_id", "must not be empty");
            }
            Optional<String> payloadProblem = validatePayload(at + ".payload", action.getPayload());
            if (payloadProblem.isPresent()) {
                return payloadProblem;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> validatePayload(String at, Object payload) {
        if (payload instanceof FileEditAction f) {
            if (blank(f.getFilePath())) {
                return problem(at + ".file_path", "must not be empty");
            }
            if (!FILE_OPERATIONS.contains(f.getOperation())) {
                return problem(at + ".operation", "unknown file operation '" + f.getOperation() + "'; expected one of "
                        + sorted(FILE_OPERATIONS));
            }
            if (!ENCODINGS.contains(f.getEncoding())) {
                return problem(at + ".encoding", "must be utf-8 or base64, got '" + f.getEncoding() + "'");
            }
            if (f.getLineRange() != null) {
                List<Integer> r = f.getLineRange();
                if (r.size() != 2 || r.get(0) < 1 || r.get(1) < r.get(0)) {
                    return problem(at + ".line_range", "must be [first, last] with 1 <= first <= last, got " + r);
                }
            }
        } else if (payload instanceof TerminalCommandAction t) {
            if (blank(t.getCommand())) {
                return problem(at + ".command", "must not be empty");
            }
            if (t.getTimeout() != null && t.getTimeout() <= 0) {
                return problem(at + ".timeout", "must be positive, got " + t.getTimeout());
            }
        } else if (payload instanceof GitOperationAction g) {
            if (!GIT_OPERATIONS.contains(g.getOperation())) {
                return problem(at + ".operation", "unknown git operation '" + g.getOperation() + "'; expected one of "
                        + sorted(GIT_OPERATIONS));
            }
        } else if (payload instanceof TestRunAction t) {
            if (blank(t.getCommand())) {
                return problem(at + ".command", "must not be empty");
            }
            if (!TEST_FRAMEWORKS.contains(t.getFramework())) {
                return problem(at + ".framework", "unknown test framework '" + t.getFramework()
                        + "'; expected one of " + sorted(TEST_FRAMEWORKS));
            }
            if (t.getTimeout() != null && t.getTimeout() <= 0) {
                return problem(at + ".timeout", "must be positive, got " + t.getTimeout());
            }
        } else if (payload instanceof IdeAction ide) {
            if (!IDE_OPERATIONS.contains(ide.getOperation())) {
                return problem(at + ".operation", "unknown IDE operation '" + ide.getOperation()
                        + "'; expected one of " + sorted(IDE_OPERATIONS));
            }
        }
        return Optional.empty();
    }

    private static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static Optional<String> problem(String field, String message) {
        return Optional.of(field + ": " + message);
    }
}
