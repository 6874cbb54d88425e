package io.mechanize.cli.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mechanize.schemas.AvroTrust;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.ArchiveSnapshot;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.GitOperationAction;
import io.mechanize.schemas.avro.GitSnapshot;
import io.mechanize.schemas.avro.IdeAction;
import io.mechanize.schemas.avro.ImageSnapshot;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.TestRunAction;
import io.mechanize.worker.consume.CommandValidator;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a spec file: one simulation per line, JSON. Every line is checked before anything is
 * sent; the first problem is reported with its line number and the path of the field at fault
 * (e.g. {@code line 3, batches[0][1].timeout: must be a positive integer, got -5}). Unknown fields
 * are errors too: a misspelt field would otherwise be silently ignored.
 */
public final class SpecParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REPEAT = 100_000;

    static {
        AvroTrust.trustContractClasses(); // the builders below fill record-typed defaults
    }

    private SpecParser() {}

    public static List<SimulationSpec> parse(Path file) throws IOException, SpecException {
        try (BufferedReader reader = Files.newBufferedReader(file)) {
            return parse(reader);
        }
    }

    public static List<SimulationSpec> parse(BufferedReader reader) throws IOException, SpecException {
        List<SimulationSpec> specs = new ArrayList<>();
        String text;
        int line = 0;
        while ((text = reader.readLine()) != null) {
            line++;
            if (text.isBlank()) {
                continue;
            }
            specs.add(parseLine(line, text));
        }
        if (specs.isEmpty()) {
            throw new SpecException(Math.max(line, 1), "", "the spec holds no simulation (one JSON object per line)");
        }
        return specs;
    }

    public static SimulationSpec parseLine(int line, String text) throws SpecException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SpecException(line, "", "not valid JSON: " + e.getOriginalMessage()
                    + " (column " + e.getLocation().getColumnNr() + ")");
        }
        return new LineParser(line).simulation(root);
    }

    /** Parses one line; knows its line number for every message. */
    private static final class LineParser {
        private final int line;

        LineParser(int line) {
            this.line = line;
        }

        SimulationSpec simulation(JsonNode root) throws SpecException {
            ObjectNode obj = object(root, "");
            allowOnly(obj, "", Set.of("task", "image", "limits", "policy", "batches", "evaluate", "repeat"));
            TaskSpec task = task(required(obj, "", "task"));
            CreateWorkspace create = CreateWorkspace.newBuilder()
                    .setTask(task)
                    .setLimits(limits(obj.get("limits")))
                    .setPolicy(policy(obj.get("policy")))
                    .setImage(optionalString(obj, "", "image", "mechanize/dev-env:latest"))
                    .build();
            List<ActionBatch> batches = new ArrayList<>();
            JsonNode batchesNode = obj.get("batches");
            if (batchesNode != null && !batchesNode.isNull()) {
                if (!batchesNode.isArray()) {
                    throw error("batches", "must be a list of batches, got " + kind(batchesNode));
                }
                for (int i = 0; i < batchesNode.size(); i++) {
                    batches.add(batch(batchesNode.get(i), "batches[" + i + "]"));
                }
            }
            boolean evaluate = optionalBoolean(obj, "", "evaluate", !task.getEvaluationCriteria().isEmpty());
            int repeat = optionalInt(obj, "", "repeat", 1);
            if (repeat < 1 || repeat > MAX_REPEAT) {
                throw error("repeat", "must be between 1 and " + MAX_REPEAT + ", got " + repeat);
            }
            return new SimulationSpec(line, create, batches, evaluate, repeat);
        }

        TaskSpec task(JsonNode node) throws SpecException {
            ObjectNode obj = object(node, "task");
            allowOnly(obj, "task", Set.of("task_id", "description", "snapshot", "evaluation_criteria", "metadata"));
            String taskId = requiredString(obj, "task", "task_id");
            List<EvaluationCriterion> criteria = new ArrayList<>();
            JsonNode list = obj.get("evaluation_criteria");
            if (list != null && !list.isNull()) {
                if (!list.isArray()) {
                    throw error("task.evaluation_criteria", "must be a list, got " + kind(list));
                }
                for (int i = 0; i < list.size(); i++) {
                    criteria.add(criterion(list.get(i), "task.evaluation_criteria[" + i + "]"));
                }
            }
            return TaskSpec.newBuilder()
                    .setTaskId(taskId)
                    .setDescription(optionalString(obj, "task", "description", ""))
                    .setSnapshot(snapshot(obj.get("snapshot")))
                    .setEvaluationCriteria(criteria)
                    .setMetadata(stringMap(obj.get("metadata"), "task.metadata"))
                    .build();
        }

        Object snapshot(JsonNode node) throws SpecException {
            if (node == null || node.isNull()) {
                return null;
            }
            String at = "task.snapshot";
            ObjectNode obj = object(node, at);
            allowOnly(obj, at, Set.of("inline", "archive", "git", "image"));
            if (obj.size() != 1) {
                throw error(at, "must name exactly one source: inline, archive, git or image");
            }
            if (obj.has("inline")) {
                return InlineSnapshot.newBuilder()
                        .setFiles(stringMap(obj.get("inline"), at + ".inline"))
                        .setBinaryFiles(Map.of())
                        .build();
            }
            if (obj.has("archive")) {
                return new ArchiveSnapshot(requiredText(obj.get("archive"), at + ".archive"));
            }
            if (obj.has("git")) {
                ObjectNode git = object(obj.get("git"), at + ".git");
                allowOnly(git, at + ".git", Set.of("repository", "ref"));
                return new GitSnapshot(requiredString(git, at + ".git", "repository"),
                        optionalString(git, at + ".git", "ref", "HEAD"));
            }
            JsonNode image = obj.get("image");
            if (image.isTextual()) {
                return new ImageSnapshot(image.asText(), "/workspace");
            }
            ObjectNode img = object(image, at + ".image");
            allowOnly(img, at + ".image", Set.of("image", "path"));
            return new ImageSnapshot(requiredString(img, at + ".image", "image"),
                    optionalString(img, at + ".image", "path", "/workspace"));
        }

        EvaluationCriterion criterion(JsonNode node, String at) throws SpecException {
            ObjectNode obj = object(node, at);
            allowOnly(obj, at, Set.of("type", "name", "command", "file_path", "pattern", "framework",
                    "fail_to_pass", "pass_to_pass", "timeout"));
            String type = requiredString(obj, at, "type");
            CriterionType criterionType;
            try {
                criterionType = CriterionType.valueOf(type.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw error(at + ".type", "unknown criterion type '" + type
                        + "'; expected command, file_exists, file_contains or tests");
            }
            Integer timeout = optionalPositive(obj, at, "timeout");
            return EvaluationCriterion.newBuilder()
                    .setType(criterionType)
                    .setName(optionalString(obj, at, "name", null))
                    .setCommand(optionalString(obj, at, "command", null))
                    .setFilePath(optionalString(obj, at, "file_path", null))
                    .setPattern(optionalString(obj, at, "pattern", null))
                    .setFramework(optionalString(obj, at, "framework", null))
                    .setFailToPass(stringList(obj.get("fail_to_pass"), at + ".fail_to_pass"))
                    .setPassToPass(stringList(obj.get("pass_to_pass"), at + ".pass_to_pass"))
                    .setTimeout(timeout)
                    .build();
        }

        ResourceLimits limits(JsonNode node) throws SpecException {
            ResourceLimits.Builder b = ResourceLimits.newBuilder();
            if (node == null || node.isNull()) {
                return b.build();
            }
            ObjectNode obj = object(node, "limits");
            allowOnly(obj, "limits", Set.of("memory_mb", "cpu_cores", "pids_limit", "workspace_disk_mb",
                    "tmp_disk_mb", "max_output_bytes", "default_timeout"));
            if (obj.has("memory_mb")) {
                b.setMemoryMb(positiveInt(obj.get("memory_mb"), "limits.memory_mb"));
            }
            if (obj.has("cpu_cores")) {
                JsonNode cpu = obj.get("cpu_cores");
                if (!cpu.isNumber() || !(cpu.asDouble() > 0)) {
                    throw error("limits.cpu_cores", "must be a positive number, got " + cpu);
                }
                b.setCpuCores(cpu.asDouble());
            }
            if (obj.has("pids_limit")) {
                b.setPidsLimit(positiveInt(obj.get("pids_limit"), "limits.pids_limit"));
            }
            if (obj.has("workspace_disk_mb")) {
                b.setWorkspaceDiskMb(positiveInt(obj.get("workspace_disk_mb"), "limits.workspace_disk_mb"));
            }
            if (obj.has("tmp_disk_mb")) {
                b.setTmpDiskMb(positiveInt(obj.get("tmp_disk_mb"), "limits.tmp_disk_mb"));
            }
            if (obj.has("max_output_bytes")) {
                b.setMaxOutputBytes(positiveInt(obj.get("max_output_bytes"), "limits.max_output_bytes"));
            }
            if (obj.has("default_timeout")) {
                b.setDefaultTimeout(positiveInt(obj.get("default_timeout"), "limits.default_timeout"));
            }
            return b.build();
        }

        SandboxPolicy policy(JsonNode node) throws SpecException {
            SandboxPolicy.Builder b = SandboxPolicy.newBuilder();
            if (node == null || node.isNull()) {
                return b.build();
            }
            ObjectNode obj = object(node, "policy");
            allowOnly(obj, "policy", Set.of("allow_network", "block_internal_ips", "proxy_url", "runtime"));
            b.setAllowNetwork(optionalBoolean(obj, "policy", "allow_network", false));
            b.setBlockInternalIps(optionalBoolean(obj, "policy", "block_internal_ips", true));
            b.setProxyUrl(optionalString(obj, "policy", "proxy_url", null));
            b.setRuntime(optionalString(obj, "policy", "runtime", null));
            return b.build();
        }

        ActionBatch batch(JsonNode node, String at) throws SpecException {
            JsonNode actionsNode = node;
            boolean stopOnFailure = false;
            String actionsAt = at;
            if (node.isObject()) {
                ObjectNode obj = (ObjectNode) node;
                allowOnly(obj, at, Set.of("actions", "stop_on_failure"));
                actionsNode = required(obj, at, "actions");
                stopOnFailure = optionalBoolean(obj, at, "stop_on_failure", false);
                actionsAt = at + ".actions";
            }
            if (!actionsNode.isArray()) {
                throw error(actionsAt, "a batch is a list of actions or {\"actions\": [...], \"stop_on_failure\": "
                        + "true}, got " + kind(actionsNode));
            }
            if (actionsNode.isEmpty()) {
                throw error(actionsAt, "a batch must hold at least one action");
            }
            List<Action> actions = new ArrayList<>();
            for (int i = 0; i < actionsNode.size(); i++) {
                String actionAt = actionsAt + "[" + i + "]";
                actions.add(action(actionsNode.get(i), actionAt, "a" + i));
            }
            return ActionBatch.newBuilder().setActions(actions).setStopOnFailure(stopOnFailure).build();
        }

        Action action(JsonNode node, String at, String defaultId) throws SpecException {
            ObjectNode obj = object(node, at);
            String type = requiredString(obj, at, "type");
            Object payload = switch (type) {
                case "FILE_EDIT" -> fileEdit(obj, at);
                case "TERMINAL_COMMAND" -> terminal(obj, at);
                case "GIT_OPERATION" -> git(obj, at);
                case "TEST_RUN" -> testRun(obj, at);
                case "IDE_ACTION" -> ide(obj, at);
                default -> throw error(at + ".type", "unknown action type '" + type + "'; expected FILE_EDIT, "
                        + "TERMINAL_COMMAND, GIT_OPERATION, TEST_RUN or IDE_ACTION");
            };
            return Action.newBuilder()
                    .setActionId(optionalString(obj, at, "action_id", defaultId))
                    .setPayload(payload)
                    .build();
        }

        FileEditAction fileEdit(ObjectNode obj, String at) throws SpecException {
            allowOnly(obj, at, Set.of("type", "action_id", "file_path", "operation", "content", "line_range",
                    "old_str", "new_str", "insert_line", "patch", "encoding"));
            String operation = requiredString(obj, at, "operation");
            if (!CommandValidator.FILE_OPERATIONS.contains(operation)) {
                throw error(at + ".operation", "unknown file operation '" + operation + "'; expected one of "
                        + CommandValidator.FILE_OPERATIONS.stream().sorted().toList());
            }
            String encoding = optionalString(obj, at, "encoding", "utf-8");
            if (!CommandValidator.ENCODINGS.contains(encoding)) {
                throw error(at + ".encoding", "must be utf-8 or base64, got '" + encoding + "'");
            }
            if (operation.equals("write") && !obj.has("content")) {
                throw error(at + ".content", "is required for a write");
            }
            return FileEditAction.newBuilder()
                    .setFilePath(requiredString(obj, at, "file_path"))
                    .setOperation(operation)
                    .setContent(optionalString(obj, at, "content", null))
                    .setLineRange(lineRange(obj.get("line_range"), at + ".line_range"))
                    .setOldStr(optionalString(obj, at, "old_str", null))
                    .setNewStr(optionalString(obj, at, "new_str", null))
                    .setInsertLine(optionalNonNegative(obj, at, "insert_line"))
                    .setPatch(optionalString(obj, at, "patch", null))
                    .setEncoding(encoding)
                    .build();
        }

        TerminalCommandAction terminal(ObjectNode obj, String at) throws SpecException {
            allowOnly(obj, at, Set.of("type", "action_id", "command", "working_dir", "timeout", "env", "session"));
            return TerminalCommandAction.newBuilder()
                    .setCommand(requiredString(obj, at, "command"))
                    .setWorkingDir(optionalString(obj, at, "working_dir", null))
                    .setTimeout(optionalPositive(obj, at, "timeout"))
                    .setEnv(stringMap(obj.get("env"), at + ".env"))
                    .setSession(optionalString(obj, at, "session", null))
                    .build();
        }

        GitOperationAction git(ObjectNode obj, String at) throws SpecException {
            allowOnly(obj, at, Set.of("type", "action_id", "operation", "args", "message", "paths"));
            String operation = requiredString(obj, at, "operation");
            if (!CommandValidator.GIT_OPERATIONS.contains(operation)) {
                throw error(at + ".operation", "unknown git operation '" + operation + "'; expected one of "
                        + CommandValidator.GIT_OPERATIONS.stream().sorted().toList());
            }
            return GitOperationAction.newBuilder()
                    .setOperation(operation)
                    .setArgs(stringList(obj.get("args"), at + ".args"))
                    .setMessage(optionalString(obj, at, "message", null))
                    .setPaths(stringList(obj.get("paths"), at + ".paths"))
                    .build();
        }

        TestRunAction testRun(ObjectNode obj, String at) throws SpecException {
            allowOnly(obj, at, Set.of("type", "action_id", "command", "framework", "report_path", "timeout"));
            String framework = optionalString(obj, at, "framework", "generic");
            if (!CommandValidator.TEST_FRAMEWORKS.contains(framework)) {
                throw error(at + ".framework", "unknown test framework '" + framework + "'; expected one of "
                        + CommandValidator.TEST_FRAMEWORKS.stream().sorted().toList());
            }
            return TestRunAction.newBuilder()
                    .setCommand(requiredString(obj, at, "command"))
                    .setFramework(framework)
                    .setReportPath(optionalString(obj, at, "report_path", null))
                    .setTimeout(optionalPositive(obj, at, "timeout"))
                    .build();
        }

        IdeAction ide(ObjectNode obj, String at) throws SpecException {
            allowOnly(obj, at, Set.of("type", "action_id", "operation", "pattern", "path", "glob", "file_path",
                    "line_range", "depth"));
            String operation = requiredString(obj, at, "operation");
            if (!CommandValidator.IDE_OPERATIONS.contains(operation)) {
                throw error(at + ".operation", "unknown IDE operation '" + operation + "'; expected one of "
                        + CommandValidator.IDE_OPERATIONS.stream().sorted().toList());
            }
            return IdeAction.newBuilder()
                    .setOperation(operation)
                    .setPattern(optionalString(obj, at, "pattern", null))
                    .setPath(optionalString(obj, at, "path", null))
                    .setGlob(optionalString(obj, at, "glob", null))
                    .setFilePath(optionalString(obj, at, "file_path", null))
                    .setLineRange(lineRange(obj.get("line_range"), at + ".line_range"))
                    .setDepth(optionalPositive(obj, at, "depth"))
                    .build();
        }

        // ---- small typed readers; each error names the field ----

        List<Integer> lineRange(JsonNode node, String at) throws SpecException {
            if (node == null || node.isNull()) {
                return null;
            }
            if (!node.isArray() || node.size() != 2 || !node.get(0).canConvertToInt() || !node.get(1).canConvertToInt()
                    || !node.get(0).isIntegralNumber() || !node.get(1).isIntegralNumber()) {
                throw error(at, "must be [first, last] (two integers), got " + node);
            }
            int first = node.get(0).asInt();
            int last = node.get(1).asInt();
            if (first < 1 || last < first) {
                throw error(at, "must satisfy 1 <= first <= last, got [" + first + ", " + last + "]");
            }
            return List.of(first, last);
        }

        ObjectNode object(JsonNode node, String at) throws SpecException {
            if (node == null || !node.isObject()) {
                throw error(at, "must be a JSON object, got " + kind(node));
            }
            return (ObjectNode) node;
        }

        void allowOnly(ObjectNode obj, String at, Set<String> allowed) throws SpecException {
            Iterator<String> names = obj.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (!allowed.contains(name)) {
                    throw error(join(at, name), "unknown field; expected one of " + allowed.stream().sorted().toList());
                }
            }
        }

        JsonNode required(ObjectNode obj, String at, String name) throws SpecException {
            JsonNode value = obj.get(name);
            if (value == null || value.isNull()) {
                throw error(join(at, name), "is required");
            }
            return value;
        }

        String requiredString(ObjectNode obj, String at, String name) throws SpecException {
            return requiredText(required(obj, at, name), join(at, name));
        }

        String requiredText(JsonNode value, String at) throws SpecException {
            if (!value.isTextual() || value.asText().isBlank()) {
                throw error(at, "must be a non-empty string, got " + kind(value));
            }
            return value.asText();
        }

        String optionalString(ObjectNode obj, String at, String name, String fallback) throws SpecException {
            JsonNode value = obj.get(name);
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (!value.isTextual()) {
                throw error(join(at, name), "must be a string, got " + kind(value));
            }
            return value.asText();
        }

        boolean optionalBoolean(ObjectNode obj, String at, String name, boolean fallback) throws SpecException {
            JsonNode value = obj.get(name);
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (!value.isBoolean()) {
                throw error(join(at, name), "must be true or false, got " + kind(value));
            }
            return value.asBoolean();
        }

        int optionalInt(ObjectNode obj, String at, String name, int fallback) throws SpecException {
            JsonNode value = obj.get(name);
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt()) {
                throw error(join(at, name), "must be an integer, got " + kind(value));
            }
            return value.asInt();
        }

        Integer optionalPositive(ObjectNode obj, String at, String name) throws SpecException {
            JsonNode value = obj.get(name);
            if (value == null || value.isNull()) {
                return null;
            }
            return positiveInt(value, join(at, name));
        }

        Integer optionalNonNegative(ObjectNode obj, String at, String name) throws SpecException {
            JsonNode value = obj.get(name);
            if (value == null || value.isNull()) {
                return null;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
                throw error(join(at, name), "must be an integer of 0 or more, got " + value);
            }
            return value.asInt();
        }

        int positiveInt(JsonNode value, String at) throws SpecException {
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() <= 0) {
                throw error(at, "must be a positive integer, got " + value);
            }
            return value.asInt();
        }

        Map<String, String> stringMap(JsonNode node, String at) throws SpecException {
            if (node == null || node.isNull()) {
                return Map.of();
            }
            ObjectNode obj = object(node, at);
            Map<String, String> out = new LinkedHashMap<>();
            var fields = obj.fields();
            while (fields.hasNext()) {
                var e = fields.next();
                if (!e.getValue().isTextual()) {
                    throw error(at + "[\"" + e.getKey() + "\"]", "must be a string, got " + kind(e.getValue()));
                }
                out.put(e.getKey(), e.getValue().asText());
            }
            return out;
        }

        List<String> stringList(JsonNode node, String at) throws SpecException {
            if (node == null || node.isNull()) {
                return List.of();
            }
            if (!node.isArray()) {
                throw error(at, "must be a list of strings, got " + kind(node));
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                if (!node.get(i).isTextual()) {
                    throw error(at + "[" + i + "]", "must be a string, got " + kind(node.get(i)));
                }
                out.add(node.get(i).asText());
            }
            return out;
        }

        SpecException error(String field, String message) {
            return new SpecException(line, field, message);
        }

        private static String join(String at, String name) {
            return at.isEmpty() ? name : at + "." + name;
        }

        private static String kind(JsonNode node) {
            if (node == null || node.isNull()) {
                return "nothing";
            }
            if (node.isTextual()) {
                return "the string \"" + node.asText() + "\"";
            }
            if (node.isObject()) {
                return "an object";
            }
            if (node.isArray()) {
                return "a list";
            }
            return node.toString();
        }
    }
}
