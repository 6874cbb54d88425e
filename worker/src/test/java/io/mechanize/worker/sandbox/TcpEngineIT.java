package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.worker.actions.DockerWorkspace;
import io.mechanize.worker.workspace.Workspace;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workspaces on the real Docker engine reached over plain TCP ({@code tcp://127.0.0.1:PORT}, as a
 * DinD sidecar is) and over TLS with client certificates ({@code DOCKER_TLS_VERIFY}), through a
 * loopback relay to its unix socket, and over the engine's own TLS listener when it has one.
 * Sessions and the evaluation's execs are streamed over the worker's own connections there too,
 * without docker-java's two platform threads per stream.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpEngineIT {

    @TempDir
    Path dir;
    /** Each workspace's container, by workspace id. */
    private final Map<String, SandboxContainer> containers = new ConcurrentHashMap<>();

    private final WorkspaceBinder binder = (ref, command, container, files) -> {
        containers.put(ref.workspaceId(), container);
        return new DockerWorkspace(ref, command, container, files);
    };

    @Test
    void sessionsAndEvaluationsRunOverTcpWithoutAPlatformThreadEach() throws Exception {
        try (LoopbackEngineRelay relay = new LoopbackEngineRelay();
                SandboxFixture sandbox = new SandboxFixture(DockerEngine.connect(relay.dockerHost(), null), binder)) {
            runWorkspaces(sandbox, relay);
        }
    }

    @Test
    void sessionsAndEvaluationsRunOverTlsWithoutAPlatformThreadEach() throws Exception {
        TestTls tls = TestTls.create(dir);
        try (LoopbackEngineRelay relay = new LoopbackEngineRelay(tls.engine());
                SandboxFixture sandbox = new SandboxFixture(connectWithTls(relay.dockerHost(), tls.certPath()), binder)) {
            runWorkspaces(sandbox, relay);
        }
    }

    /**
     * Against the engine's own TLS listener (Go's TLS, as {@code docker:dind} serves on 2376), which
     * {@code .ci/run} gives the dockerd it starts: {@code MECHANIZE_IT_DOCKER_TLS_HOST} and the client's
     * certificates in {@code MECHANIZE_IT_DOCKER_CERT_PATH}. The relay above checks the worker's side
     * against the JDK's TLS; this one checks that the engine takes the half-close of an exec's input
     * over TLS as its end, and the engine's certificate and verification of the client's.
     */
    @Test
    void sessionsAndEvaluationsRunOverTheEnginesOwnTls() throws Exception {
        String host = System.getenv("MECHANIZE_IT_DOCKER_TLS_HOST");
        String certPath = System.getenv("MECHANIZE_IT_DOCKER_CERT_PATH");
        assumeTrue(host != null && certPath != null,
                "no dockerd TLS listener named in MECHANIZE_IT_DOCKER_TLS_HOST and MECHANIZE_IT_DOCKER_CERT_PATH"
                        + " (.ci/run starts dockerd with one)");
        try (SandboxFixture sandbox = new SandboxFixture(connectWithTls(host, Path.of(certPath)), binder)) {
            runWorkspaces(sandbox, null);
        }
    }

    /** As the worker does with {@code DOCKER_TLS_VERIFY=1} and {@code DOCKER_CERT_PATH} in its environment. */
    private static DockerEngine connectWithTls(String dockerHost, Path certPath) {
        // docker-java reads its settings from system properties too, over the environment
        System.setProperty("DOCKER_TLS_VERIFY", "1");
        System.setProperty("DOCKER_CERT_PATH", certPath.toString());
        try {
            return DockerEngine.connect(dockerHost, null);
        } finally {
            System.clearProperty("DOCKER_TLS_VERIFY");
            System.clearProperty("DOCKER_CERT_PATH");
        }
    }

    /** Five workspaces with a session, an evaluation and an exec each; {@code relay} is null without one. */
    private void runWorkspaces(SandboxFixture sandbox, LoopbackEngineRelay relay) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assertThat(sandbox.engine.socket()).as("attached streams over the engine's own connections").isNotNull();
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
                        criterion("pipes", "printf 'a\\nb\\n' | grep -c b"),
                        criterion("fails", "echo round-" + i + "; exit 3")));
                assertThat(verdict.getCriteriaResults().get(0).getPassed()).isTrue();
                assertThat(verdict.getCriteriaResults().get(1).getPassed()).isFalse();
                assertThat(verdict.getCriteriaResults().get(1).getDetail()).contains("round-" + i);
                // an exec's input ends after what was sent (a half-close of its connection)
                ExecResult counted = containers.get("tcp-" + i).exec(List.of("wc", "-c"), Map.of(),
                        "hello\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(20), 4096);
                assertThat(counted.timedOut()).as("wc saw the end of its input").isFalse();
                assertThat(counted.stdout().text().strip()).isEqualTo("6");
            }
            // through docker-java, two per session and one per exec stream: 20 here
            assertThat(threads.getTotalStartedThreadCount() - before).isLessThan(4);
            if (relay != null) {
                assertThat(relay.connections()).as("the engine was reached through the relay").isGreaterThan(10);
            }
        } finally {
            for (Workspace ws : opened) {
                ws.close();
            }
        }
    }

    private static EvaluationCriterion criterion(String name, String command) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setName(name).setCommand(command).build();
    }
}
