package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.worker.toolkit.Helper;
import io.mechanize.worker.toolkit.HelperReply;
import io.mechanize.worker.workspace.WorkspaceException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * FILE_EDIT: read, write, edit, str_replace, insert, delete and patch, each ONE exec of the
 * in-container helper, which resolves the path inside the container (PATH_ESCAPE when it leaves
 * {@code /workspace}) and writes atomically (a temporary file renamed over the old one).
 */
final class FileEditHandler {
    /** Reads return at most this many bytes of the file, with output_truncated set. */
    static final int READ_CAP_BYTES = 1024 * 1024;
    /** Larger writes (after base64 decoding) are refused before they reach the container. */
    static final int WRITE_CAP_BYTES = 10 * 1024 * 1024;
    static final List<String> OPERATIONS = List.of("read", "write", "edit", "str_replace", "insert", "delete", "patch");
    private static final Duration FILE_TIMEOUT = Duration.ofSeconds(30);
    private static final int SMALL_REPLY = 64 * 1024;

    private final Helper helper;

    FileEditHandler(Helper helper) {
        this.helper = requireNonNull(helper, "helper is null");
    }

    ActionResult.Builder run(FileEditAction edit, ActionResult.Builder result) throws WorkspaceException {
        if (!edit.getOperation().equals("patch") && (edit.getFilePath() == null || edit.getFilePath().isBlank())) {
            return result.setErrorMessage("file_path is empty");
        }
        Map<String, Object> request = new HashMap<>();
        request.put("path", edit.getFilePath());
        try {
            requireKnownEncoding(edit.getEncoding());
            return switch (edit.getOperation()) {
                case "read" -> read(edit, request, result);
                case "write" -> write(edit, request, result);
                case "edit" -> edit(edit, request, result);
                case "str_replace" -> strReplace(edit, request, result);
                case "insert" -> insert(edit, request, result);
                case "delete" -> change("delete", request, result, "deleted " + edit.getFilePath());
                case "patch" -> patch(edit, request, result);
                default -> result.setErrorMessage("operation '" + edit.getOperation() + "' is unknown; known: " + OPERATIONS);
            };
        } catch (IllegalArgumentException e) {
            return result.setErrorMessage(e.getMessage());
        }
    }

    private ActionResult.Builder read(FileEditAction edit, Map<String, Object> request, ActionResult.Builder result)
            throws WorkspaceException {
        int[] range = WorkspacePaths.lineRange(edit.getLineRange());
        request.put("op", "read");
        request.put("cap", READ_CAP_BYTES);
        if (range != null) {
            request.put("first", range[0]);
            request.put("last", range[1]);
        }
        HelperReply reply = helper.call(request, FILE_TIMEOUT, READ_CAP_BYTES / 3 * 4 + SMALL_REPLY);
        ActionResult.Builder failed = ActionResults.helperFailure(result, reply);
        if (failed != null) {
            return failed;
        }
        boolean truncated = reply.body().path("truncated").asBoolean();
        if (isBase64(edit.getEncoding())) {
            return result.setSuccess(true).setExitCode(0).setOutput(reply.text("content")).setOutputTruncated(truncated);
        }
        if (!reply.body().path("utf8").asBoolean()) {
            return result.setErrorMessage("file '" + edit.getFilePath() + "' is not valid UTF-8 text; read it with encoding base64");
        }
        String text = new String(Base64.getDecoder().decode(reply.text("content")), StandardCharsets.UTF_8);
        return result.setSuccess(true).setExitCode(0).setOutput(text).setOutputTruncated(truncated);
    }

    private ActionResult.Builder write(FileEditAction edit, Map<String, Object> request, ActionResult.Builder result)
            throws WorkspaceException {
        byte[] bytes = contentBytes(edit, "write");
        request.put("content", Base64.getEncoder().encodeToString(bytes));
        return change("write", request, result, "wrote " + bytes.length + " bytes to " + edit.getFilePath());
    }

    private ActionResult.Builder edit(FileEditAction edit, Map<String, Object> request, ActionResult.Builder result)
            throws WorkspaceException {
        int[] range = WorkspacePaths.lineRange(edit.getLineRange());
        if (range == null) {
            throw new IllegalArgumentException("edit needs line_range [first, last] (the lines its content replaces)");
        }
        request.put("content", text(edit, "edit"));
        request.put("first", range[0]);
        request.put("last", range[1]);
        return change("edit", request, result, "replaced lines " + range[0] + "-" + range[1] + " of " + edit.getFilePath());
    }

    private ActionResult.Builder strReplace(FileEditAction edit, Map<String, Object> request, ActionResult.Builder result)
            throws WorkspaceException {
        if (edit.getOldStr() == null || edit.getOldStr().isEmpty()) {
            throw new IllegalArgumentException("str_replace needs a non-empty old_str");
        }
        request.put("old", edit.getOldStr());
        request.put("new", edit.getNewStr() == null ? "" : edit.getNewStr());
        return change("str_replace", request, result, "replaced 1 occurrence in " + edit.getFilePath());
    }

    private ActionResult.Builder insert(FileEditAction edit, Map<String, Object> request, ActionResult.Builder result)
            throws WorkspaceException {
        if (edit.getInsertLine() == null || edit.getInsertLine() < 0) {
            throw new IllegalArgumentException("insert needs insert_line >= 0 (0 inserts at the top), was " + edit.getInsertLine());
        }
        request.put("content", text(edit, "insert"));
        request.put("line", edit.getInsertLine());
        return change("insert", request, result, "inserted after line " + edit.getInsertLine() + " of " + edit.getFilePath());
    }

    private ActionResult.Builder patch(FileEditAction edit, Map<String, Object> request, ActionResult.Builder result)
            throws WorkspaceException {
        String patch = edit.getPatch() != null ? edit.getPatch() : edit.getContent();
        if (patch == null || patch.isBlank()) {
            throw new IllegalArgumentException("patch needs a unified diff in patch (or content)");
        }
        if (patch.length() > WRITE_CAP_BYTES) {
            throw new IllegalArgumentException("patch is " + patch.length() + " characters, over the limit of " + WRITE_CAP_BYTES);
        }
        UnifiedDiff diff = UnifiedDiff.parse(patch);
        request.put("op", "patch");
        request.put("patch", patch.endsWith("\n") ? patch : patch + "\n");
        request.put("strip", diff.stripLevel());
        request.put("paths", diff.targets());
        HelperReply reply = helper.call(request, FILE_TIMEOUT, SMALL_REPLY);
        if (!reply.ok() && reply.body().has("patch_output")) {
            return result.setStderr(reply.text("patch_output")).setExitCode(1)
                    .setErrorMessage(diff.describeFailure(reply.text("patch_output")));
        }
        ActionResult.Builder failed = ActionResults.helperFailure(result, reply);
        if (failed != null) {
            return failed;
        }
        return ActionResults.changes(result, reply).setSuccess(true).setExitCode(0).setOutput(reply.text("output"));
    }

    private ActionResult.Builder change(String op, Map<String, Object> request, ActionResult.Builder result, String done)
            throws WorkspaceException {
        request.put("op", op);
        HelperReply reply = helper.call(request, FILE_TIMEOUT, SMALL_REPLY);
        ActionResult.Builder failed = ActionResults.helperFailure(result, reply);
        if (failed != null) {
            return failed;
        }
        return ActionResults.changes(result, reply).setSuccess(true).setExitCode(0).setOutput(done);
    }

    private static String text(FileEditAction edit, String op) {
        return new String(contentBytes(edit, op), StandardCharsets.UTF_8);
    }

    private static byte[] contentBytes(FileEditAction edit, String op) {
        if (edit.getContent() == null) {
            throw new IllegalArgumentException(op + " needs content (it was null)");
        }
        byte[] bytes;
        try {
            bytes = isBase64(edit.getEncoding())
                    ? Base64.getMimeDecoder().decode(edit.getContent())
                    : edit.getContent().getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("content is not valid for encoding " + edit.getEncoding() + ": " + e.getMessage());
        }
        if (bytes.length > WRITE_CAP_BYTES) {
            throw new IllegalArgumentException(op + " of " + bytes.length + " bytes refused: the limit is "
                    + WRITE_CAP_BYTES + " bytes per action");
        }
        return bytes;
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
