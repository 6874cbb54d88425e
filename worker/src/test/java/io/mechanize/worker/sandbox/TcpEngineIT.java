package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.worker.workspace.Workspace;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Workspaces on the real Docker engine reached over plain TCP ({@code tcp://127.0.0.1:PORT}, as a
 * DinD sidecar is), through a loopback relay to its unix socket. Sessions and the evaluation's
 * execs are streamed over the worker's own connections there too, without docker-java's two
 * platform threads per stream.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpEngineIT {

    @Test
    void sessionsAndEvaluationsRunOverTcpWithoutAPlatformThreadEach() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (LoopbackEngineRelay relay = new LoopbackEngineRelay();
                SandboxFixture sandbox = new SandboxFixture(DockerEngine.connect(relay.dockerHost(), null))) {
            assertThat(sandbox.engine.socket()).as("attached streams over the TCP engine's own connections").isNotNull();
            List<Workspace> opened = new ArrayList<>();
            try {
                // the first workspace and evaluation load what they need once
                Workspace first = sandbox.create("tcp-0", null);
                opened.add(first);
                first.evaluate(List.of(criterion("warm-up", "true")));
                long before = threads.getTotalStartedThreadCount();
                for (int i = 1; i <= 4; i++) {
                    Workspace ws = sandbox.create("tcp-" + i, null);
                    opened.add(ws);
                    ActionResult echo = sandbox.sh(ws, "cd /tmp && echo session-" + i + " && pwd");
                    assertThat(echo.getOutput()).isEqualTo("session-" + i + "\n/tmp\n");
                    assertThat(sandbox.sh(ws, "pwd").getOutput()).as("the session persists").isEqualTo("/tmp\n");
                    EvaluationMetrics verdict = ws.evaluate(List.of(
                            criterion("reads-stdin-to-its-end", "printf 'a\\nb\\n' | grep -c b"),
                            criterion("fails", "echo round-" + i + "; exit 3")));
                    assertThat(verdict.getCriteriaResults().get(0).getPassed()).isTrue();
                    assertThat(verdict.getCriteriaResults().get(1).getPassed()).isFalse();
                    assertThat(verdict.getCriteriaResults().get(1).getDetail()).contains("round-" + i);
                }
                // through docker-java: two per session and one per exec stream, 4 + 4 x 2 here
                assertThat(threads.getTotalStartedThreadCount() - before).isLessThan(4);
                assertThat(relay.connections()).as("the engine was reached through the relay").isGreaterThan(10);
            } finally {
                for (Workspace ws : opened) {
                    ws.close();
                }
            }
        }
    }

    private static EvaluationCriterion criterion(String name, String command) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setName(name).setCommand(command).build();
    }
}
