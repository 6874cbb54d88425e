package io.mechanize.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What Prometheus sees on /metrics: family names with labels, seconds for timers, JVM metrics. */
class MetricsServerTest {
    private final FleetMetrics metrics = new FleetMetrics(new MetricRegistry()).registerJvmMetrics();

    @Test
    void servesFamiliesWithLabelsOnLoopback() throws Exception {
        metrics.recordCommandConsumed();
        metrics.recordCommandConsumed();
        metrics.recordRejected("VALIDATION");
        metrics.recordAction("FILE_EDIT", true, 40);
        metrics.recordAction("TERMINAL_COMMAND", false, 1500);
        metrics.recordQueueWait(Duration.ofMillis(250));
        metrics.recordTransaction(true);
        metrics.recordConsumerLag(Map.of(0, 7L, 3, 0L));
        metrics.registerGauge("workspaces.active", () -> 2);

        String text;
        try (MetricsServer server = MetricsServer.start(metrics.registry(), "127.0.0.1", 0)) {
            text = scrape(server.port());
        }

        assertThat(text)
                .contains("mechanize_worker_commands_consumed_total 2.0")
                .contains("mechanize_worker_commands_rejected_total{stage=\"validation\"} 1.0")
                .contains("mechanize_worker_commands_rejected_total{stage=\"deserialization\"} 0.0")
                .contains("mechanize_worker_actions_total{outcome=\"succeeded\",type=\"file_edit\"} 1.0")
                .contains("mechanize_worker_actions_total{outcome=\"failed\",type=\"terminal_command\"} 1.0")
                .contains("mechanize_worker_actions_total{outcome=\"failed\",type=\"git_operation\"} 0.0")
                .contains("mechanize_worker_action_seconds{quantile=\"0.99\"} 1.5")
                .contains("mechanize_worker_action_seconds_count 2")
                .contains("mechanize_worker_command_queue_wait_seconds{quantile=\"0.5\"} 0.25")
                .contains("mechanize_worker_transactions_total{outcome=\"committed\"} 1.0")
                .contains("mechanize_worker_consumer_lag{partition=\"0\"} 7.0")
                .contains("mechanize_worker_consumer_lag{partition=\"3\"} 0.0")
                .contains("mechanize_worker_workspaces_active 2.0")
                .contains("jvm_memory_heap_used ")
                .contains("jvm_threads_count ")
                .containsPattern("jvm_gc_collections\\{gc=\"[^\"]+\"\\}");
    }

    @Test
    void revokedPartitionsLoseTheirLagGauge() throws Exception {
        metrics.recordConsumerLag(Map.of(0, 7L, 3, 1L));
        metrics.recordConsumerLag(Map.of(3, 2L));

        String text;
        try (MetricsServer server = MetricsServer.start(metrics.registry(), "127.0.0.1", 0)) {
            text = scrape(server.port());
        }

        assertThat(metrics.consumerLag()).isEqualTo(Map.of(3, 2L));
        assertThat(text).contains("mechanize_worker_consumer_lag{partition=\"3\"} 2.0")
                .doesNotContain("mechanize_worker_consumer_lag{partition=\"0\"}");
    }

    static String scrape(int port) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        }
    }
}
