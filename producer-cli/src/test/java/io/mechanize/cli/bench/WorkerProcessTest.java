package io.mechanize.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerProcessTest {

    @Test
    void aWorkerKilledBySignalIsNamedWithItsSignalAndItsLog(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("worker.log");
        Files.writeString(log, "last words\n");
        Process process = new ProcessBuilder("sh", "-c", "kill -KILL $$").start();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();

        WorkerProcess worker = new WorkerProcess(process, log);

        assertThatThrownBy(worker::requireAlive)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code 137 (killed by signal 9)")
                .hasMessageContaining(log.toString())
                .hasMessageEndingWith("last words");
    }

    @Test
    void aGaugeIsReadFromTheWorkersPrometheusText() {
        String text = """
                # TYPE mechanize_worker_pool_ready gauge
                mechanize_worker_pool_ready_total 3.0
                mechanize_worker_pool_ready 17.0
                mechanize_worker_consumer_lag{partition="0"} 7.0
                """;
        assertThat(WorkerProcess.gaugeValue(text, "mechanize_worker_pool_ready")).hasValue(17.0);
        assertThat(WorkerProcess.gaugeValue(text, "mechanize_worker_workspaces_active")).isEmpty();
    }

    @Test
    void aRunningWorkerPasses(@TempDir Path dir) throws Exception {
        Process process = new ProcessBuilder("sleep", "30").start();
        try {
            new WorkerProcess(process, dir.resolve("worker.log")).requireAlive();
        } finally {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
