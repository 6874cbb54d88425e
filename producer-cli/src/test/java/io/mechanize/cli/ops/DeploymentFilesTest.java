package io.mechanize.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docker-compose.yml, the Prometheus/Grafana provisioning and deploy/k8s parse and wire up. */
class DeploymentFilesTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void composeRunsTheWholeStackWithWorkersThatScale() throws Exception {
        Path file = PromQl.repoFile("docker-compose.yml");
        JsonNode services = YAML.readTree(file.toFile()).path("services");

        assertThat(fieldNames(services)).containsExactlyInAnyOrder("kafka", "schema-registry", "worker", "prometheus",
                "grafana");
        assertThat(services.path("kafka").path("image").asText()).isEqualTo("apache/kafka:4.4.0");
        assertThat(services.path("kafka").path("environment").path("KAFKA_PROCESS_ROLES").asText())
                .isEqualTo("broker,controller");
        assertThat(services.path("schema-registry").path("image").asText()).startsWith("confluentinc/cp-schema-registry:");
        assertThat(services.path("schema-registry").path("environment").path("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS")
                .asText()).endsWith("kafka:9092");

        JsonNode worker = services.path("worker");
        assertThat(worker.path("image").asText()).isEqualTo("mechanize/worker:latest");
        assertThat(worker.has("ports")).as("a published port would stop --scale worker=N").isFalse();
        assertThat(texts(worker.path("volumes"))).contains("/var/run/docker.sock:/var/run/docker.sock");
        assertThat(texts(worker.path("command"))).contains("--bootstrap-servers=kafka:9092",
                "--schema-registry=http://schema-registry:8081", "--metrics-port=9404");

        for (JsonNode service : List.of(services.path("prometheus"), services.path("grafana"))) {
            for (String volume : texts(service.path("volumes"))) {
                String source = volume.split(":")[0];
                assertThat(file.getParent().resolve(source)).as(volume).exists();
            }
        }
        JsonNode prometheus = YAML.readTree(PromQl.repoFile("dashboards/prometheus.yml").toFile());
        JsonNode job = prometheus.path("scrape_configs").get(0);
        assertThat(job.path("job_name").asText()).isEqualTo("mechanize-workers");
        assertThat(job.path("dns_sd_configs").get(0).path("names").get(0).asText()).isEqualTo("worker");
        assertThat(job.path("dns_sd_configs").get(0).path("port").asInt()).isEqualTo(9404);
    }

    @Test
    void grafanaProvisioningPointsAtTheDashboardsAndTheDatasourceTheyUse() throws Exception {
        JsonNode datasource = YAML.readTree(PromQl.repoFile("dashboards/provisioning/datasources/prometheus.yml")
                .toFile()).path("datasources").get(0);
        JsonNode provider = YAML.readTree(PromQl.repoFile("dashboards/provisioning/dashboards/mechanize.yml")
                .toFile()).path("providers").get(0);

        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
        assertThat(provider.path("options").path("path").asText()).isEqualTo("/var/lib/grafana/dashboards/mechanize");
        for (String dashboard : List.of("dashboards/fleet-overview.json", "dashboards/worker.json")) {
            JsonNode json = new ObjectMapper().readTree(PromQl.repoFile(dashboard).toFile());
            assertThat(json.findValues("uid").stream().filter(n -> n.isTextual()).map(JsonNode::asText)
                    .filter(uid -> !uid.startsWith("mechanize-")))
                    .as("datasource uids in %s", dashboard).containsOnly(datasource.path("uid").asText());
        }
    }

    @Test
    void kubernetesWorkersScaleOnLagAndReachADockerEngine() throws Exception {
        JsonNode deployment = YAML.readTree(PromQl.repoFile("deploy/k8s/deployment.yaml").toFile());
        JsonNode config = YAML.readTree(PromQl.repoFile("deploy/k8s/configmap.yaml").toFile());
        JsonNode scaled = YAML.readTree(PromQl.repoFile("deploy/k8s/scaledobject.yaml").toFile());

        assertThat(deployment.path("kind").asText()).isEqualTo("Deployment");
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        assertThat(container.path("envFrom").get(0).path("configMapRef").path("name").asText())
                .isEqualTo(config.path("metadata").path("name").asText());
        assertThat(container.path("volumeMounts").get(0).path("mountPath").asText()).isEqualTo("/var/run/docker.sock");
        assertThat(pod.path("volumes").get(0).path("hostPath").path("type").asText()).isEqualTo("Socket");
        for (String arg : texts(container.path("args"))) {
            java.util.regex.Matcher ref = java.util.regex.Pattern.compile("\\$\\((\\w+)\\)").matcher(arg);
            while (ref.find()) {
                String name = ref.group(1);
                assertThat(config.path("data").has(name) || name.equals("POD_NAME")).as("%s in %s", name, arg).isTrue();
            }
        }
        assertThat(pod.path("terminationGracePeriodSeconds").asInt()).as("longer than the 30 s shutdown grace")
                .isGreaterThan(30);

        assertThat(scaled.path("spec").path("scaleTargetRef").path("name").asText())
                .isEqualTo(deployment.path("metadata").path("name").asText());
        JsonNode trigger = scaled.path("spec").path("triggers").get(0);
        assertThat(trigger.path("type").asText()).isEqualTo("kafka");
        assertThat(trigger.path("metadata").path("consumerGroup").asText()).isEqualTo("mechanize-workers");
        assertThat(trigger.path("metadata").path("topic").asText()).isEqualTo("mechanize.commands");
        assertThat(trigger.path("metadata").path("lagThreshold").asInt()).as("near one worker's capacity")
                .isEqualTo(Integer.parseInt(config.path("data").path("MAX_WORKSPACES").asText()));
        assertThat(scaled.path("spec").path("maxReplicaCount").asInt()).as("no more workers than partitions")
                .isLessThanOrEqualTo(io.mechanize.worker.WorkerConfig.DEFAULT_PARTITIONS);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
