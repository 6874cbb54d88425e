package io.mechanize.cli.export;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CriterionResult;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.ResourceUsage;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.TestSummary;
import io.mechanize.schemas.avro.WorkspaceCreated;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The flat tables of an export: one row per action result ({@link #ACTION}) and one per evaluation
 * ({@link #EVALUATION}), every nested field of the event flattened into a column so that a
 * dataframe or SQL engine reads them without unnesting. Rows are Avro {@link GenericRecord}s of
 * these schemas; the Parquet files carry the same schemas.
 */
public final class ExportRows {
    private static final Schema TIMESTAMP = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
    private static final Schema STRINGS = Schema.createArray(Schema.create(Schema.Type.STRING));

    public static final Schema ACTION = envelope(SchemaBuilder.record("ActionRow").namespace("io.mechanize.export")
            .doc("One action result of a run, flattened.").fields())
            .requiredString("action_id")
            .requiredInt("action_index")
            .requiredString("action_type")
            .requiredBoolean("success")
            .requiredLong("execution_time_ms")
            .optionalInt("exit_code")
            .requiredString("output")
            .requiredString("stderr")
            .requiredBoolean("output_truncated")
            .optionalString("error_message")
            .requiredLong("cpu_time_ms")
            .requiredLong("peak_memory_bytes")
            .requiredInt("peak_pids")
            .requiredLong("workspace_bytes")
            .name("violation_types").type(STRINGS).noDefault()
            .name("violation_details").type(STRINGS).noDefault()
            .name("files_created").type(STRINGS).noDefault()
            .name("files_modified").type(STRINGS).noDefault()
            .name("files_deleted").type(STRINGS).noDefault()
            .optionalInt("tests_passed")
            .optionalInt("tests_failed")
            .optionalInt("tests_errors")
            .optionalInt("tests_skipped")
            .optionalString("test_parse_error")
            .endRecord();

    public static final Schema EVALUATION = envelope(SchemaBuilder.record("EvaluationRow")
            .namespace("io.mechanize.export").doc("One evaluation of a workspace, flattened.").fields())
            .requiredBoolean("passed")
            .optionalBoolean("resolved")
            .requiredDouble("completion_percentage")
            .requiredInt("tests_passed")
            .requiredInt("tests_failed")
            .requiredLong("duration_ms")
            .requiredInt("criteria_total")
            .requiredInt("criteria_passed")
            .name("failed_criteria").type(STRINGS).noDefault()
            .optionalString("final_diff")
            .endRecord();

    private final Map<String, String> taskOf = new HashMap<>();

    private static SchemaBuilder.FieldAssembler<Schema> envelope(SchemaBuilder.FieldAssembler<Schema> f) {
        return f.requiredString("run_id")
                .requiredString("workspace_id")
                .optionalString("task_id")
                .requiredLong("command_seq")
                .requiredString("worker_id")
                .name("emitted_at").type(TIMESTAMP).noDefault();
    }

    /** Learns task ids from {@code WorkspaceCreated}; feed every event of the run, in order. */
    public void observe(SimulationEvent event) {
        if (event.getBody() instanceof WorkspaceCreated c) {
            taskOf.put(event.getWorkspaceId(), c.getTaskId());
        }
    }

    public GenericRecord action(SimulationEvent event, ActionResult r) {
        GenericRecord row = envelope(ACTION, event);
        row.put("action_id", r.getActionId());
        row.put("action_index", r.getActionIndex());
        row.put("action_type", r.getActionType().name());
        row.put("success", r.getSuccess());
        row.put("execution_time_ms", r.getExecutionTimeMs());
        row.put("exit_code", r.getExitCode());
        row.put("output", r.getOutput());
        row.put("stderr", r.getStderr());
        row.put("output_truncated", r.getOutputTruncated());
        row.put("error_message", r.getErrorMessage());
        ResourceUsage usage = r.getResourceUsage();
        row.put("cpu_time_ms", usage.getCpuTimeMs());
        row.put("peak_memory_bytes", usage.getPeakMemoryBytes());
        row.put("peak_pids", usage.getPeakPids());
        row.put("workspace_bytes", usage.getWorkspaceBytes());
        List<String> types = new ArrayList<>();
        List<String> details = new ArrayList<>();
        for (SecurityViolation v : r.getSecurityViolations()) {
            types.add(v.getType().name());
            details.add(v.getDetail());
        }
        row.put("violation_types", types);
        row.put("violation_details", details);
        row.put("files_created", strings(r.getStateChanges().getCreated()));
        row.put("files_modified", strings(r.getStateChanges().getModified()));
        row.put("files_deleted", strings(r.getStateChanges().getDeleted()));
        TestSummary tests = r.getTestSummary();
        row.put("tests_passed", tests == null ? null : tests.getPassed());
        row.put("tests_failed", tests == null ? null : tests.getFailed());
        row.put("tests_errors", tests == null ? null : tests.getErrors());
        row.put("tests_skipped", tests == null ? null : tests.getSkipped());
        row.put("test_parse_error", tests == null ? null : tests.getParseError());
        return row;
    }

    public GenericRecord evaluation(SimulationEvent event, EvaluationMetrics m) {
        GenericRecord row = envelope(EVALUATION, event);
        row.put("passed", m.getPassed());
        row.put("resolved", m.getResolved());
        row.put("completion_percentage", m.getCompletionPercentage());
        row.put("tests_passed", m.getTestsPassed());
        row.put("tests_failed", m.getTestsFailed());
        row.put("duration_ms", m.getDurationMs());
        row.put("criteria_total", m.getCriteriaResults().size());
        row.put("criteria_passed", (int) m.getCriteriaResults().stream().filter(CriterionResult::getPassed).count());
        row.put("failed_criteria", m.getCriteriaResults().stream().filter(c -> !c.getPassed())
                .map(CriterionResult::getName).toList());
        row.put("final_diff", m.getFinalDiff());
        return row;
    }

    private GenericRecord envelope(Schema schema, SimulationEvent event) {
        GenericRecord row = new GenericData.Record(schema);
        row.put("run_id", event.getRunId());
        row.put("workspace_id", event.getWorkspaceId());
        row.put("task_id", taskOf.get(event.getWorkspaceId()));
        row.put("command_seq", event.getCommandSeq());
        row.put("worker_id", event.getWorkerId());
        row.put("emitted_at", event.getEmittedAt().toEpochMilli());
        return row;
    }

    private static List<String> strings(List<? extends CharSequence> values) {
        return values.stream().map(CharSequence::toString).toList();
    }
}
