package io.mechanize.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.RestSchemaRegistryClient;
import io.mechanize.worker.LocalDocker;
import io.mechanize.worker.Worker;
import io.mechanize.worker.WorkerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A worker against the embedded broker: every metric a dashboard reads is on its /metrics (scraped
 * over loopback), and its WorkerMetrics snapshots arrive on mechanize.metrics.
 */
@Tag("integration")
@Timeout(180)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardMetricsIT {
    /** Series Prometheus adds itself, not the worker. */
    private static final Set<String> FROM_PROMETHEUS = Set.of("up");

    private EmbeddedStack stack;
    private Worker worker;

    @BeforeAll
    void startWorker() {
        stack = EmbeddedStack.start(null, 0, 0);
        WorkerConfig config = WorkerConfig.defaults(stack.bootstrapServers(), stack.schemaRegistryUrl())
                .withPartitions(3).withMaxWorkspaces(2).withMetricsPort(0).withMetricsInterval(Duration.ofSeconds(1));
        worker = Worker.start(config, LocalDocker.workspaceFactory(config.workerId(), Map.of("mechanize.test", "true")));
    }

    @AfterAll
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void everyDashboardExpressionReadsAMetricTheWorkerExports() throws Exception {
        int port = worker.metricsPort().orElseThrow();
        // the lag gauges appear once the worker has its partitions and has fetched
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> exportedNames(scrape(port)).contains("mechanize_worker_consumer_lag"));
        Set<String> exported = exportedNames(scrape(port));

        for (String file : List.of("dashboards/fleet-overview.json", "dashboards/worker.json")) {
            Set<String> used = PromQl.expressions(PromQl.repoFile(file)).stream()
                    .flatMap(e -> PromQl.metricNames(e).stream()).collect(Collectors.toCollection(TreeSet::new));
            used.removeAll(FROM_PROMETHEUS);
            assertThat(used).as("metrics %s reads", file).isNotEmpty();
            assertThat(exported).as("what the worker exports, for %s", file).containsAll(used);
        }
    }

    @Test
    void publishesWorkerMetricsSnapshotsKeyedByWorkerId() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "dashboard-it-" + System.nanoTime());
        try (var registry = new RestSchemaRegistryClient(stack.schemaRegistryUrl());
                var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            var deserializer = new AvroDeserializer<>(registry, WorkerMetrics.class);
            consumer.subscribe(List.of(Topics.METRICS));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            WorkerMetrics found = null;
            while (found == null && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    if (new String(record.key(), java.nio.charset.StandardCharsets.UTF_8).equals(worker.workerId())) {
                        found = deserializer.deserialize(record.topic(), record.value());
                    }
                }
            }
            assertThat(found).as("a WorkerMetrics record for " + worker.workerId()).isNotNull();
            assertThat(found.getWorkerId()).isEqualTo(worker.workerId());
            assertThat(found.getCapacity()).isEqualTo(2);
            assertThat(found.getGauges()).containsKey("jvm.memory.heap.used");
            assertThat(found.getCounters()).containsKey("mechanize.worker.commands.consumed");
        }
    }

    private static String scrape(int port) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        }
    }

    /** Sample names in the text format: {@code name{labels} value} or {@code name value}. */
    private static Set<String> exportedNames(String text) {
        return text.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    }
}
