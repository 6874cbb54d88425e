package io.mechanize.cli.export;

import static io.mechanize.cli.results.Events.anAction;
import static io.mechanize.cli.results.Events.anEvaluation;
import static io.mechanize.cli.results.Events.anEvent;
import static io.mechanize.cli.results.Events.created;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.avro.ViolationType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes an export and reads it back with an independent reader: DuckDB for Parquet, Jackson for JSON lines. */
class RunExportTest {
    private static final List<SimulationEvent> EVENTS = List.of(
            anEvent("run-1", "ws-a", 0, created("fix-fib")),
            anEvent("run-1", "ws-a", 1, anAction(ActionType.TERMINAL_COMMAND, false, 300, ViolationType.TIMEOUT,
                    ViolationType.OUTPUT_LIMIT)),
            anEvent("run-1", "ws-a", 1, anAction(ActionType.FILE_EDIT, true, 7)),
            anEvent("run-1", "ws-a", 2, anEvaluation(false, false)),
            anEvent("run-1", "ws-b", 0, created("fix-median")),
            anEvent("run-1", "ws-b", 1, anAction(ActionType.TEST_RUN, true, 50)),
            anEvent("run-1", "ws-b", 2, anEvaluation(true, null)));

    @Test
    void parquetHasOneRowPerActionAndPerEvaluationWithFlatColumns(@TempDir Path dir) throws Exception {
        export(dir, RunExport.Format.parquet);

        try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
            String actions = "read_parquet('" + dir.resolve("actions.parquet") + "')";
            assertThat(single(db, "select count(*) from " + actions)).isEqualTo("3");
            try (ResultSet rs = db.createStatement().executeQuery("select workspace_id, task_id, command_seq, "
                    + "action_type, success, execution_time_ms, exit_code, cpu_time_ms, peak_memory_bytes, "
                    + "array_to_string(violation_types, ','), files_modified[1], epoch_ms(emitted_at) from " + actions
                    + " where execution_time_ms = 300")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("ws-a");
                assertThat(rs.getString(2)).isEqualTo("fix-fib");
                assertThat(rs.getLong(3)).isEqualTo(1);
                assertThat(rs.getString(4)).isEqualTo("TERMINAL_COMMAND");
                assertThat(rs.getBoolean(5)).isFalse();
                assertThat(rs.getLong(6)).isEqualTo(300);
                assertThat(rs.getInt(7)).isEqualTo(1);
                assertThat(rs.getLong(8)).isEqualTo(150);
                assertThat(rs.getLong(9)).isEqualTo(300 * 1024);
                assertThat(rs.getString(10)).isEqualTo("TIMEOUT,OUTPUT_LIMIT");
                assertThat(rs.getString(11)).isEqualTo("f.py");
                assertThat(rs.getLong(12)).isEqualTo(1_700_000_000_001L);
            }
            assertThat(single(db, "select string_agg(task_id || ':' || action_type, ',' order by task_id, "
                    + "action_type) from " + actions))
                    .isEqualTo("fix-fib:FILE_EDIT,fix-fib:TERMINAL_COMMAND,fix-median:TEST_RUN");

            String evaluations = "read_parquet('" + dir.resolve("evaluations.parquet") + "')";
            assertThat(single(db, "select count(*) from " + evaluations)).isEqualTo("2");
            assertThat(single(db, "select task_id || ' ' || passed || ' ' || coalesce(resolved::varchar, 'null') || ' '"
                    + " || criteria_passed || '/' || criteria_total || ' ' || array_to_string(failed_criteria, ',') from "
                    + evaluations + " where workspace_id = 'ws-a'")).isEqualTo("fix-fib false false 1/2 tests");
            assertThat(single(db, "select coalesce(resolved::varchar, 'null') from " + evaluations
                    + " where workspace_id = 'ws-b'")).isEqualTo("null");
        }
    }

    @Test
    void jsonLinesCarryTheSameColumns(@TempDir Path dir) throws Exception {
        export(dir, RunExport.Format.jsonl);
        ObjectMapper json = new ObjectMapper();

        List<JsonNode> actions = Files.readAllLines(dir.resolve("actions.jsonl")).stream().map(l -> read(json, l))
                .toList();
        List<JsonNode> evaluations = Files.readAllLines(dir.resolve("evaluations.jsonl")).stream()
                .map(l -> read(json, l)).toList();

        assertThat(actions).hasSize(3);
        assertThat(evaluations).hasSize(2);
        JsonNode first = actions.get(0);
        assertThat(first.get("task_id").asText()).isEqualTo("fix-fib");
        assertThat(first.get("violation_types").toString()).isEqualTo("[\"TIMEOUT\",\"OUTPUT_LIMIT\"]");
        assertThat(first.get("emitted_at").asText()).isEqualTo("2023-11-14T22:13:20.001Z");
        assertThat(first.get("tests_passed").isNull()).isTrue();
        assertThat(evaluations.get(1).get("resolved").isNull()).isTrue();
    }

    private static void export(Path dir, RunExport.Format format) throws Exception {
        try (RunExport export = new RunExport(dir, format)) {
            EVENTS.forEach(export::accept);
            assertThat(export.actionRows()).isEqualTo(3);
            assertThat(export.evaluationRows()).isEqualTo(2);
        }
    }

    private static String single(Connection db, String sql) throws Exception {
        try (ResultSet rs = db.createStatement().executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }

    private static JsonNode read(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (Exception e) {
            throw new AssertionError(line, e);
        }
    }
}
