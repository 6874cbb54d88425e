package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.IdeAction;
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
 * IDE_ACTION: search ({@code file:line:text}), find_files (glob), list_dir (an indented tree to
 * depth), view (numbered lines) and diagnostics (Python syntax errors as {@code file:line:
 * message}), all confined to /workspace by the in-container helper. Directory walks skip
 * {@code .git}, {@code __pycache__} and {@code .pytest_cache} and never follow symlinked
 * directories.
 */
final class IdeActionHandler {
    static final List<String> OPERATIONS = List.of("search", "find_files", "list_dir", "view", "diagnostics");
    static final int MAX_LINES = 2000;
    static final int OUTPUT_CAP_BYTES = 256 * 1024;
    static final int MAX_DEPTH = 10;
    private static final int SEARCH_FILE_CAP = 4 * 1024 * 1024;
    private static final Duration IDE_TIMEOUT = Duration.ofSeconds(60);

    private final Helper helper;

    IdeActionHandler(Helper helper) {
        this.helper = requireNonNull(helper, "helper is null");
    }

    ActionResult.Builder run(IdeAction ide, ActionResult.Builder result) throws WorkspaceException {
        Map<String, Object> request = new HashMap<>();
        request.put("op", ide.getOperation());
        request.put("path", ide.getPath());
        request.put("max_lines", MAX_LINES);
        request.put("cap", OUTPUT_CAP_BYTES);
        switch (ide.getOperation()) {
            case "search" -> {
                if (ide.getPattern() == null || ide.getPattern().isEmpty()) {
                    return result.setErrorMessage("search needs a pattern (a regular expression)");
                }
                request.put("pattern", ide.getPattern());
                request.put("glob", ide.getGlob());
                request.put("file_cap", SEARCH_FILE_CAP);
            }
            case "find_files" -> request.put("glob", ide.getGlob() != null ? ide.getGlob() : ide.getPattern());
            case "list_dir" -> {
                int depth = ide.getDepth() == null ? 2 : ide.getDepth();
                if (depth < 1 || depth > MAX_DEPTH) {
                    return result.setErrorMessage("depth must be 1.." + MAX_DEPTH + ", was " + depth);
                }
                request.put("depth", depth);
            }
            case "view" -> {
                return view(ide, result);
            }
            case "diagnostics" -> request.put("path", ide.getPath() != null ? ide.getPath() : ide.getFilePath());
            default -> {
                return result.setErrorMessage("IDE operation '" + ide.getOperation() + "' is unknown; known: " + OPERATIONS);
            }
        }
        HelperReply reply = helper.call(request, IDE_TIMEOUT, OUTPUT_CAP_BYTES * 6 + 65536);
        ActionResult.Builder failed = ActionResults.helperFailure(result, reply);
        if (failed != null) {
            return failed;
        }
        result.setSuccess(true).setExitCode(0).setOutput(reply.text("output"))
                .setOutputTruncated(reply.body().path("truncated").asBoolean());
        if (ide.getOperation().equals("diagnostics")) {
            int problems = reply.body().path("problems").asInt();
            int files = reply.body().path("files").asInt();
            result.setExitCode(problems == 0 ? 0 : 1);
            if (problems == 0) {
                result.setOutput("no problems in " + files + " Python file" + (files == 1 ? "" : "s") + "\n");
            }
        }
        return result;
    }

    /** view: the file's lines numbered as {@code cat -n} does (6 wide, a tab). */
    private ActionResult.Builder view(IdeAction ide, ActionResult.Builder result) throws WorkspaceException {
        String path = ide.getFilePath() != null ? ide.getFilePath() : ide.getPath();
        int[] range;
        try {
            range = WorkspacePaths.lineRange(ide.getLineRange());
        } catch (IllegalArgumentException e) {
            return result.setErrorMessage(e.getMessage());
        }
        Map<String, Object> request = new HashMap<>(Map.of("op", "read", "path", path == null ? "" : path,
                "cap", FileEditHandler.READ_CAP_BYTES));
        if (range != null) {
            request.put("first", range[0]);
            request.put("last", range[1]);
        }
        HelperReply reply = helper.call(request, IDE_TIMEOUT, FileEditHandler.READ_CAP_BYTES / 3 * 4 + 65536);
        ActionResult.Builder failed = ActionResults.helperFailure(result, reply);
        if (failed != null) {
            return failed;
        }
        if (!reply.body().path("utf8").asBoolean()) {
            return result.setErrorMessage("'" + path + "' is not valid UTF-8 text; read it with FILE_EDIT read, encoding base64");
        }
        String text = new String(Base64.getDecoder().decode(reply.text("content")), StandardCharsets.UTF_8);
        return result.setSuccess(true).setExitCode(0).setOutput(numbered(text, range == null ? 1 : range[0]))
                .setOutputTruncated(reply.body().path("truncated").asBoolean());
    }

    static String numbered(String text, int firstLine) {
        if (text.isEmpty()) {
            return "";
        }
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        StringBuilder out = new StringBuilder();
        int n = firstLine;
        for (String line : body.split("\n", -1)) {
            out.append(String.format("%6d\t%s\n", n++, line));
        }
        return out.toString();
    }
}
