package io.mechanize.cli.client;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.TaskSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small builder of a {@link TaskSpec} for code that drives workspaces itself:
 * {@code Task.named("fix-add").file("calc.py", src).criterion(Task.command("python3 -m pytest -q")).build()}.
 * Files become an inline snapshot; a task without files starts from an empty {@code /workspace}.
 */
public final class Task {
    private final String taskId;
    private String description = "";
    private final Map<String, String> files = new LinkedHashMap<>();
    private final List<EvaluationCriterion> criteria = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Task(String taskId) {
        this.taskId = requireNonNull(taskId, "taskId is null");
    }

    public static Task named(String taskId) {
        return new Task(taskId);
    }

    public Task description(String text) {
        this.description = requireNonNull(text, "description is null");
        return this;
    }

    /** A UTF-8 file of the snapshot, relative to {@code /workspace}. */
    public Task file(String path, String content) {
        files.put(requireNonNull(path, "path is null"), requireNonNull(content, "content is null"));
        return this;
    }

    public Task criterion(EvaluationCriterion criterion) {
        criteria.add(requireNonNull(criterion, "criterion is null"));
        return this;
    }

    public Task metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public TaskSpec build() {
        return TaskSpec.newBuilder()
                .setTaskId(taskId)
                .setDescription(description)
                .setSnapshot(files.isEmpty() ? null : InlineSnapshot.newBuilder().setFiles(Map.copyOf(files)).build())
                .setEvaluationCriteria(List.copyOf(criteria))
                .setMetadata(Map.copyOf(metadata))
                .build();
    }

    /** Passes when {@code command} exits 0. */
    public static EvaluationCriterion command(String command) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setCommand(command).build();
    }

    /** Passes when the file exists. */
    public static EvaluationCriterion fileExists(String path) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.FILE_EXISTS).setFilePath(path).build();
    }

    /** Passes when the file matches {@code regex} (Java, MULTILINE). */
    public static EvaluationCriterion fileContains(String path, String regex) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.FILE_CONTAINS).setFilePath(path)
                .setPattern(regex).build();
    }

    /** SWE-bench style: resolved when every listed test passes. */
    public static EvaluationCriterion tests(String command, String framework, List<String> failToPass,
            List<String> passToPass) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.TESTS).setCommand(command)
                .setFramework(framework).setFailToPass(List.copyOf(failToPass)).setPassToPass(List.copyOf(passToPass))
                .build();
    }
}
