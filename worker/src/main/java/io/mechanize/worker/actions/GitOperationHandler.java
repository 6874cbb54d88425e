package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.GitOperationAction;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.toolkit.Helper;
import io.mechanize.worker.toolkit.HelperReply;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GIT_OPERATION: {@code git <operation> [args] [-- paths]} in /workspace, as argv (never a
 * shell), with a sandbox identity; state changes are the working-tree files whose size, mode
 * or mtime the operation changed (the helper fingerprints the tree before and after).
 */
final class GitOperationHandler {
    static final String IDENTITY_NAME = "mechanize agent";
    static final String IDENTITY_EMAIL = "agent@mechanize.invalid";
    static final Map<String, String> ENV = Map.ofEntries(
            Map.entry("GIT_AUTHOR_NAME", IDENTITY_NAME),
            Map.entry("GIT_AUTHOR_EMAIL", IDENTITY_EMAIL),
            Map.entry("GIT_COMMITTER_NAME", IDENTITY_NAME),
            Map.entry("GIT_COMMITTER_EMAIL", IDENTITY_EMAIL),
            Map.entry("GIT_CONFIG_NOSYSTEM", "1"),
            Map.entry("GIT_CONFIG_GLOBAL", "/dev/null"),
            Map.entry("GIT_CONFIG_COUNT", "3"),
            Map.entry("GIT_CONFIG_KEY_0", "safe.directory"),
            Map.entry("GIT_CONFIG_VALUE_0", "/workspace"),
            Map.entry("GIT_CONFIG_KEY_1", "init.defaultBranch"),
            Map.entry("GIT_CONFIG_VALUE_1", "main"),
            Map.entry("GIT_CONFIG_KEY_2", "core.pager"),
            Map.entry("GIT_CONFIG_VALUE_2", "cat"),
            Map.entry("GIT_TERMINAL_PROMPT", "0"),
            Map.entry("GIT_EDITOR", "true"),
            Map.entry("GIT_PAGER", "cat"));
    /** git's output (e.g. a diff) is kept up to this many bytes. */
    static final int OUTPUT_CAP_BYTES = 256 * 1024;
    private static final Duration GIT_TIMEOUT = Duration.ofSeconds(60);

    private final Helper helper;

    GitOperationHandler(Helper helper) {
        this.helper = requireNonNull(helper, "helper is null");
    }

    ActionResult.Builder run(GitOperationAction git, ActionResult.Builder result) throws WorkspaceException {
        List<String> argv;
        try {
            argv = argv(git);
        } catch (IllegalArgumentException e) {
            return result.setErrorMessage(e.getMessage());
        } catch (SecurityException e) {
            return ActionResults.refuse(result, ViolationType.PATH_ESCAPE, "refused: " + e.getMessage());
        }
        // one request: the helper resolves the paths (refusing any outside /workspace), then runs git
        HelperReply reply = helper.call(Map.of("op", "run", "argv", argv, "paths", git.getPaths(), "cap", OUTPUT_CAP_BYTES),
                ENV, GIT_TIMEOUT, 2 * OUTPUT_CAP_BYTES * 6 + 65536);
        ActionResult.Builder failed = ActionResults.helperFailure(result, reply);
        if (failed != null) {
            return failed;
        }
        int exit = reply.body().path("exit").asInt();
        ActionResults.changes(result, reply)
                .setExitCode(exit)
                .setSuccess(exit == 0)
                .setOutput(reply.text("stdout"))
                .setStderr(reply.text("stderr"))
                .setOutputTruncated(reply.body().path("stdout_bytes").asLong() > OUTPUT_CAP_BYTES);
        if (exit != 0) {
            String stderr = reply.text("stderr").strip();
            result.setErrorMessage("git " + git.getOperation() + " exited with code " + exit
                    + (stderr.isEmpty() ? "" : ": " + stderr.lines().limit(5).reduce((a, b) -> a + "\n" + b).orElse("")));
        }
        return result;
    }

    /**
     * @throws IllegalArgumentException for an unknown operation or a missing message
     * @throws SecurityException for an argument that would leave /workspace
     */
    static List<String> argv(GitOperationAction git) {
        String op = git.getOperation();
        if (!GitArgs.OPERATIONS.contains(op)) {
            throw new IllegalArgumentException("git operation '" + op + "' is unknown; known: " + GitArgs.OPERATIONS);
        }
        for (String arg : git.getArgs()) {
            String why = GitArgs.refusal(arg);
            if (why != null) {
                throw new SecurityException(why);
            }
        }
        for (String path : git.getPaths()) {
            if (path == null || path.isEmpty()) {
                throw new IllegalArgumentException("paths contains an empty path");
            }
        }
        List<String> argv = new ArrayList<>(List.of("git", "--no-pager", op));
        switch (op) {
            case "diff", "log" -> argv.add("--no-color");
            case "commit" -> {
                if (git.getMessage() == null || git.getMessage().isBlank()) {
                    throw new IllegalArgumentException("git commit needs a message");
                }
                argv.addAll(List.of("-m", git.getMessage()));
            }
            case "add" -> {
                if (git.getArgs().isEmpty() && git.getPaths().isEmpty()) {
                    throw new IllegalArgumentException("git add needs paths (or args such as -A)");
                }
            }
            default -> { }
        }
        argv.addAll(git.getArgs());
        if (!git.getPaths().isEmpty()) {
            if (!op.equals("apply") && !op.equals("init") && !op.equals("branch")) {
                argv.add("--");
            }
            argv.addAll(git.getPaths());
        }
        return argv;
    }
}
