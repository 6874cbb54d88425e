package io.mechanize.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.cli.Main;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The bench harness is correct (every figure present and sane) on tiny numbers; says nothing about speed. */
@Tag("integration")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class BenchCommandIT {

    @Test
    void benchWritesEveryFigureWithSaneValues(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench.json");
        int code = new CommandLine(new Main()).execute("bench", "--num-concurrent", "4", "--simulations", "8",
                "--pool-size", "2", "--save-results", out.toString());
        assertThat(code).isZero();
        JsonNode j = new ObjectMapper().readTree(out.toFile());
        assertThat(j.get("success_rate").asDouble()).isEqualTo(1.0);
        assertThat(j.get("num_concurrent").asInt()).isEqualTo(4);
        assertThat(j.get("simulations").asInt()).isEqualTo(8);
        for (String positive : new String[] {"throughput_sims_per_s", "raw_container_churn_per_s",
                "throughput_vs_raw_churn", "action_overhead_vs_docker_exec", "worker_rss_mb",
                "host_mem_per_workspace_mb"}) {
            assertThat(j.get(positive).asDouble()).as(positive).isPositive();
        }
        // the throughput's timing runs on until the pool has refilled what the phase took
        assertThat(j.get("throughput_to_last_result_sims_per_s").asDouble())
                .isGreaterThanOrEqualTo(j.get("throughput_sims_per_s").asDouble());
        assertThat(j.get("pool_refills_owed_at_last_result").asInt()).isBetween(0, 2);
        assertThat(j.get("idle_workspaces_measured").asInt()).isEqualTo(4);
        assertQuantiles(j.get("workspace_ready_ms"), "p50", "p95", "p99");
        assertQuantiles(j.get("action_overhead_ms"), "p50", "p95");
        assertQuantiles(j.get("submit_to_result_ms"), "p50", "p95");
        assertQuantiles(j.get("docker_exec_ms"), "p50");
        assertThat(j.get("submit_to_result_ms").get("p50").asDouble()).isPositive();
        assertThat(j.get("docker_exec_ms").get("p50").asDouble()).isPositive();
        assertThat(j.get("workspace_ready_paced_from_pool_fraction").asDouble()).isPositive();
        assertQuantiles(j.get("workspace_ready_with_snapshot_ms"), "p50", "p95", "p99");
        assertThat(j.get("snapshot_files").asInt()).isPositive();
        assertThat(j.get("workspace_open_failures_with_snapshot")).isEmpty();
        assertThat(j.get("runtime").asText()).isEqualTo("default");
        // the pool is full when the worker says its containers are warm, not when they run
        assertThat(j.get("pool_ready_seen_by").asText()).isEqualTo("worker_gauge");
        // one long command in each of the 4 workspaces: the containers' CPU while it ran, measured
        assertThat(j.get("long_command_containers_measured").asInt()).isEqualTo(4);
        assertQuantiles(j.get("long_command_container_cpu_ms_per_s"), "p50", "p95");
        assertThat(j.get("long_command_container_cpu_ms_per_s").get("p50").asDouble()).isPositive();
        // as the engine reports them: on a stock engine its default runtime is runc
        assertThat(j.get("workspace_runtimes").properties()).singleElement()
                .satisfies(e -> assertThat(e.getValue().asInt()).isEqualTo(4));
        // where the machine's CPU went: the engine's daemons are on this host, the churn ran in this
        // JVM before any worker existed, the simulations in the worker
        JsonNode churnCpu = j.get("cpu_jiffies_per_churn_container");
        JsonNode simCpu = j.get("cpu_jiffies_per_simulation");
        for (JsonNode split : new JsonNode[] {churnCpu, simCpu}) {
            assertThat(split.get("total").asDouble()).isPositive();
            assertThat(split.get("dockerd").asDouble()).isPositive();
            assertThat(split.get("bench_jvm").asDouble()).isPositive();
            assertThat(split.get("busy_fraction").asDouble()).isPositive();
            double parts = 0;
            for (String part : new String[] {"dockerd", "containerd", "shims_and_runc", "containers", "bench_jvm",
                    "worker_jvm", "rest"}) {
                parts += split.get(part).asDouble(); // null reads 0
            }
            assertThat(parts).isCloseTo(split.get("total").asDouble(), org.assertj.core.data.Offset.offset(0.1));
            if (java.nio.file.Files.exists(Path.of("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage"))) {
                assertThat(split.get("containers").asDouble()).isPositive();
            }
        }
        assertThat(churnCpu.get("worker_jvm").isNull()).isTrue();
        assertThat(simCpu.get("worker_jvm").asDouble()).isPositive();
    }

    @Test
    void benchUnderGvisorRunsEveryWorkspaceThere(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench-runsc.json");
        int code = new CommandLine(new Main()).execute("bench", "--runtime", "runsc", "--num-concurrent", "2",
                "--simulations", "4", "--pool-size", "2", "--save-results", out.toString());
        assertThat(code).isZero();
        JsonNode j = new ObjectMapper().readTree(out.toFile());
        assertThat(j.get("success_rate").asDouble()).isEqualTo(1.0);
        assertThat(j.get("runtime").asText()).isEqualTo("runsc");
        assertThat(j.get("workspace_runtimes").get("runsc").asInt()).isEqualTo(2);
        assertThat(j.get("workspace_runtimes").size()).isEqualTo(1);
        // the worker kept its pool under gVisor from the start (--pool-runtime), and the bench waited
        // for it to be warm: both creations at once came from it
        assertThat(j.get("workspace_ready_from_pool_fraction").asDouble()).isEqualTo(1.0);
        for (String positive : new String[] {"throughput_sims_per_s", "raw_container_churn_per_s",
                "throughput_vs_raw_churn", "action_overhead_vs_docker_exec"}) {
            assertThat(j.get(positive).asDouble()).as(positive).isPositive();
        }
    }

    private static void assertQuantiles(JsonNode node, String... keys) {
        assertThat(node).isNotNull();
        double previous = 0;
        for (String k : keys) {
            assertThat(node.has(k)).as(k).isTrue();
            double v = node.get(k).asDouble();
            assertThat(v).as(k).isGreaterThanOrEqualTo(previous);
            previous = v;
        }
    }
}
