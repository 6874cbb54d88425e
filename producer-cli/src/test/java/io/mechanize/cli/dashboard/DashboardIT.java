package io.mechanize.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.client.FleetClient;
import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.cli.spec.RunPlan;
import io.mechanize.cli.spec.SpecParser;
import io.mechanize.worker.WorkerConfig;
import java.io.BufferedReader;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard on the embedded stack, read the way a person reads it: a run of five simulations
 * is submitted, and headless Debian Chromium loads the page (its script fetches /api/state) and
 * dumps the DOM it rendered.
 */
@Tag("integration")
@Timeout(300)
class DashboardIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final String SPEC = """
            {"task": {"task_id": "echo", "evaluation_criteria": [{"type": "command", "command": "test -f out.txt"}]}, "batches": [[{"type": "TERMINAL_COMMAND", "command": "echo hi > out.txt"}]], "repeat": 4}
            {"task": {"task_id": "slow", "evaluation_criteria": [{"type": "command", "command": "true"}]}, "batches": [[{"type": "TERMINAL_COMMAND", "command": "sleep 5", "timeout": 1}]]}
            """;

    @Test
    void thePageShowsTheRunsProgressTheWorkerAndTheViolation(@TempDir Path dir) throws Exception {
        assertThat(CHROMIUM).as("Debian's chromium (apt-get install -y chromium; .ci/run does it)").isExecutable();
        String workerId = "dashboard-it-" + UUID.randomUUID().toString().substring(0, 8);
        try (EmbeddedStack stack = EmbeddedStack.start(null, 0, 0)) {
            stack.startWorker(c -> c.withMaxWorkspaces(4).withWorkerId(workerId)
                    .withMetricsInterval(Duration.ofSeconds(1)).with(b -> b.groupId = workerId));
            Cluster cluster = stack.cluster();
            RunPlan plan = RunPlan.of(RunPlan.newRunId(Clock.systemUTC()),
                    SpecParser.parse(new BufferedReader(new StringReader(SPEC))), Clock.systemUTC());
            try (FleetClient client = new FleetClient(cluster)) {
                client.ensureTopics(WorkerConfig.DEFAULT_PARTITIONS, (short) 0);
            }
            try (Dashboard dashboard = Dashboard.start(cluster, 0, Duration.ofHours(1));
                    FleetClient client = new FleetClient(cluster)) {
                assertThat(dashboard.url()).startsWith("http://127.0.0.1:");
                client.submit(plan);
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() ->
                        dashboard.state().runs().stream().anyMatch(r -> r.runId().equals(plan.runId()) && r.done()));
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
                        dashboard.state().workers().stream().anyMatch(w -> w.workerId().equals(workerId)
                                && w.actions() == 5));

                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> api = http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/state"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(api.statusCode()).isEqualTo(200);
                assertThat(api.headers().firstValue("Content-Type")).hasValue("application/json");
                assertThat(api.body()).contains("\"runId\":\"" + plan.runId() + "\"");
                assertThat(http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "nope")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);

                String dom = dumpDom(dashboard.url(), dir);

                assertThat(dom).contains(plan.runId())
                        .contains("<td class=\"progress\">5/5</td>")
                        .contains(workerId)
                        .contains("violation TIMEOUT")
                        .contains("<polyline")
                        .doesNotContain("cannot reach the dashboard server");
            }
        }
    }

    /** Headless Chromium, loopback only, a fresh profile; virtual time lets the page's fetch finish. */
    private static String dumpDom(String url, Path dir) throws Exception {
        Path profile = Files.createDirectory(dir.resolve("chromium-profile"));
        Path out = dir.resolve("dom.html");
        Process chromium = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom", url))
                .redirectOutput(out.toFile())
                .redirectError(dir.resolve("chromium.log").toFile())
                .start();
        try {
            assertThat(chromium.waitFor(90, TimeUnit.SECONDS)).as("chromium finished within 90 s").isTrue();
        } finally {
            chromium.destroyForcibly();
        }
        String dom = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(dom).as("chromium's DOM; its log: %s", Files.readString(dir.resolve("chromium.log")))
                .contains("<h1>mechanize fleet</h1>");
        return dom;
    }
}
