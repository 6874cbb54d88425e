package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.StateChanges;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.workspace.WorkspaceException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * FILE_EDIT: {@code read} (optionally a line range) and {@code write}, each resolved inside the
 * container and refused with PATH_ESCAPE when it leaves {@code /workspace}.
 */
final class FileEditHandler {
    /** Reads return at most this many bytes of the file, with output_truncated set. */
    static final int READ_CAP_BYTES = 1024 * 1024;
    private static final Duration FILE_TIMEOUT = Duration.ofSeconds(30);
    private static final int STDERR_CAP = 4096;

    private final SandboxContainer container;

    FileEditHandler(SandboxContainer container) {
        this.container = requireNonNull(container, "container is null");
    }

    ActionResult.Builder run(FileEditAction edit, ActionResult.Builder result) throws WorkspaceException {
        if (edit.getFilePath() == null || edit.getFilePath().isBlank()) {
            return result.setErrorMessage("file_path is empty");
        }
        return switch (edit.getOperation()) {
            case "read" -> read(edit, result);
            case "write" -> write(edit, result);
            default -> result.setErrorMessage("operation " + edit.getOperation() + " is not implemented yet");
        };
    }

    private ActionResult.Builder read(FileEditAction edit, ActionResult.Builder result) throws WorkspaceException {
        int[] range;
        boolean base64 = isBase64(edit.getEncoding());
        try {
            range = WorkspacePaths.lineRange(edit.getLineRange());
            requireKnownEncoding(edit.getEncoding());
        } catch (IllegalArgumentException e) {
            return result.setErrorMessage(e.getMessage());
        }
        // the wire carries base64 of at most cap+1 bytes: 4/3 of it, plus slack
        int wireCap = (READ_CAP_BYTES + 1) / 3 * 4 + 16;
        ExecResult exec = container.exec(WorkspacePaths.read(edit.getFilePath(), range, READ_CAP_BYTES), null,
                FILE_TIMEOUT, Math.max(wireCap, STDERR_CAP));
        ActionResult.Builder failed = failure(exec, result, "reading");
        if (failed != null) {
            return failed;
        }
        byte[] content = Base64.getDecoder().decode(exec.stdout().text().strip());
        boolean truncated = content.length > READ_CAP_BYTES;
        if (truncated) {
            content = Arrays.copyOf(content, READ_CAP_BYTES);
        }
        String output = base64 ? Base64.getEncoder().encodeToString(content) : new String(content, StandardCharsets.UTF_8);
        return result.setSuccess(true).setExitCode(0).setOutput(output).setOutputTruncated(truncated);
    }

    private ActionResult.Builder write(FileEditAction edit, ActionResult.Builder result) throws WorkspaceException {
        if (edit.getContent() == null) {
            return result.setErrorMessage("write needs content (it was null)");
        }
        byte[] bytes;
        try {
            requireKnownEncoding(edit.getEncoding());
            bytes = isBase64(edit.getEncoding())
                    ? Base64.getMimeDecoder().decode(edit.getContent())
                    : edit.getContent().getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return result.setErrorMessage("content is not valid for encoding " + edit.getEncoding() + ": " + e.getMessage());
        }
        ExecResult exec = container.exec(WorkspacePaths.write(edit.getFilePath()), bytes, FILE_TIMEOUT, STDERR_CAP);
        ActionResult.Builder failed = failure(exec, result, "writing");
        if (failed != null) {
            if (exec.stderr().text().contains("No space left on device")) {
                ActionResults.violation(failed, ViolationType.DISK_QUOTA,
                        "writing '" + edit.getFilePath() + "' hit the /workspace size quota");
            }
            return failed;
        }
        String[] stateAndPath = exec.stdout().text().strip().split(" ", 2);
        String relative = WorkspacePaths.relative(stateAndPath[1]);
        StateChanges changes = result.getStateChanges();
        (stateAndPath[0].equals("created") ? changes.getCreated() : changes.getModified()).add(relative);
        return result.setSuccess(true).setExitCode(0).setOutput("wrote " + bytes.length + " bytes to " + relative);
    }

    /** The result for a failed script run, or null when it succeeded. */
    private static ActionResult.Builder failure(ExecResult exec, ActionResult.Builder result, String verb) {
        String stderr = exec.stderr().text().strip();
        if (exec.timedOut()) {
            return ActionResults.refuse(result, ViolationType.TIMEOUT, verb + " the file took longer than " + FILE_TIMEOUT);
        }
        if (exec.exitCode() == WorkspacePaths.ESCAPE_EXIT) {
            return ActionResults.refuse(result.setExitCode(exec.exitCode()), ViolationType.PATH_ESCAPE,
                    "refused: " + stderr);
        }
        if (exec.exitCode() != 0) {
            return result.setExitCode(exec.exitCode()).setStderr(stderr)
                    .setErrorMessage(stderr.isEmpty() ? verb + " failed with exit code " + exec.exitCode() : stderr);
        }
        return null;
    }

    private static boolean isBase64(String encoding) {
        return "base64".equalsIgnoreCase(encoding);
    }

    private static void requireKnownEncoding(String encoding) {
        if (!List.of("utf-8", "utf8", "base64").contains(encoding == null ? "" : encoding.toLowerCase())) {
            throw new IllegalArgumentException("encoding must be utf-8 or base64, was " + encoding);
        }
    }
}
