package io.mechanize.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.cli.Main;
import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.client.FleetClient;
import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SpecParser;
import io.mechanize.worker.WorkerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A run submitted with {@code submit}'s client, then read back by another "process" with
 * {@code results --follow}, {@code results --format jsonl}, {@code export} and {@code watch --once}
 * against the embedded stack.
 */
@Tag("integration")
@Timeout(300)
class ResultsExportWatchIT {
    private static final String SPEC = """
            {"task": {"task_id": "hello", "snapshot": {"inline": {"greet.py": "print('hi')\\n"}}, "evaluation_criteria": [{"type": "command", "command": "test -f out.txt"}]}, "batches": [[{"type": "TERMINAL_COMMAND", "command": "python3 greet.py > out.txt", "timeout": 30}, {"type": "FILE_EDIT", "file_path": "out.txt", "operation": "read"}]], "repeat": 2}
            {"task": {"task_id": "fails", "evaluation_criteria": [{"type": "command", "command": "false"}]}, "batches": [[{"type": "TERMINAL_COMMAND", "command": "exit 4"}]]}
            """;

    @Test
    void aSubmittedRunCanBeFollowedSummarisedExportedAndWatched(@TempDir Path dir) throws Exception {
        String workerId = "results-it-" + UUID.randomUUID().toString().substring(0, 8);
        try (EmbeddedStack stack = EmbeddedStack.start(null, 0, 0)) {
            stack.startWorker(c -> c.withMaxWorkspaces(4).withWorkerId(workerId)
                    .withMetricsInterval(Duration.ofSeconds(1)).with(b -> b.groupId = workerId));
            Cluster cluster = stack.cluster();
            RunPlan plan = RunPlan.of(RunPlan.newRunId(Clock.systemUTC()),
                    SpecParser.parse(new BufferedReader(new StringReader(SPEC))), Clock.systemUTC());
            try (FleetClient client = new FleetClient(cluster)) {
                client.ensureTopics(WorkerConfig.DEFAULT_PARTITIONS, (short) 0);
                client.submit(plan);
            }
            String[] target = {"--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry",
                    cluster.schemaRegistryUrl()};

            Run follow = mechanize(target, "results", "--run", plan.runId(), "--follow", "--timeout", "3m");
            assertThat(follow.code).isZero();
            assertThat(follow.out)
                    .contains("run                        " + plan.runId())
                    .contains("simulations                3 (3 completed, 0 failed or rejected, 0 unfinished)")
                    .contains("evaluations passed         2 / 3 (66.7%)")
                    .contains("actions succeeded          4 / 5 (80.0%)")
                    .contains("  TERMINAL_COMMAND         2 / 3 (66.7%)")
                    .contains("  FILE_EDIT                2 / 2 (100.0%)")
                    .contains("slowest tasks");
            assertThat(follow.err).contains("3/3 simulations");

            Run jsonl = mechanize(target, "results", "--run", plan.runId(), "--format", "jsonl");
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> events = new ArrayList<>();
            for (String line : jsonl.out.strip().split("\n")) {
                events.add(json.readTree(line));
            }
            assertThat(events).allSatisfy(e -> assertThat(e.get("run_id").asText()).isEqualTo(plan.runId()));
            assertThat(events.stream().filter(e -> e.get("type").asText().equals("ActionResult"))).hasSize(5);
            assertThat(events.stream().filter(e -> e.get("type").asText().equals("WorkspaceClosed"))).hasSize(3);

            Path out = dir.resolve("export");
            assertThat(mechanize(target, "export", "--run", plan.runId(), "--format", "parquet", "--out",
                    out.toString()).code).isZero();
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
                    ResultSet rs = db.createStatement().executeQuery("select count(*), sum(success::int), "
                            + "count(distinct workspace_id), string_agg(distinct task_id, ',' order by task_id), "
                            + "max(exit_code) from read_parquet('" + out.resolve("actions.parquet") + "')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(5);
                assertThat(rs.getLong(2)).isEqualTo(4);
                assertThat(rs.getLong(3)).isEqualTo(3);
                assertThat(rs.getString(4)).isEqualTo("fails,hello");
                assertThat(rs.getInt(5)).isEqualTo(4);
            }
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
                    ResultSet rs = db.createStatement().executeQuery("select count(*), sum(passed::int) from "
                            + "read_parquet('" + out.resolve("evaluations.parquet") + "')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(3);
                assertThat(rs.getLong(2)).isEqualTo(2);
            }

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                Run watch = mechanize(target, "watch", "--once");
                assertThat(watch.code).isZero();
                assertThat(watch.out).contains("1 live workers").contains("0 / 4 workspaces active")
                        .containsPattern(workerId + "\\s+\\d+s\\s+0/4\\s+[\\d.]+\\s+\\d+\\s+5\\s+1\\s");
            });
        }
    }

    private record Run(int code, String out, String err) {}

    private static Run mechanize(String[] target, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(target));
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        PrintStream previousOut = System.out;
        PrintStream previousErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new Main()).execute(all.toArray(String[]::new));
        } finally {
            System.setOut(previousOut);
            System.setErr(previousErr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
