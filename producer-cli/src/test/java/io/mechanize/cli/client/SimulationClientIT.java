package io.mechanize.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.cli.client.CommandFailedException.Reason;
import io.mechanize.cli.embedded.EmbeddedStack;
import io.mechanize.examples.agentloop.FixFailingTestAgent;
import io.mechanize.schemas.avro.FileEditAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client library and the example agent loop against the embedded stack and the real Docker engine. */
@Tag("integration")
@Timeout(300)
class SimulationClientIT {
    private static EmbeddedStack stack;

    @BeforeAll
    static void startStack() {
        stack = EmbeddedStack.start(null, 0, 0);
        String group = "client-it-" + UUID.randomUUID().toString().substring(0, 8);
        // room for the four agents plus the workspaces the timeout and close cases leave open
        stack.startWorker(c -> c.withMaxWorkspaces(8).withWorkerId(group).with(b -> b.groupId = group));
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theExampleAgentFixesTheFailingTestAndTheEvaluationPasses() {
        try (SimulationClient client = SimulationClient.connect(stack.cluster())) {
            FixFailingTestAgent.Outcome outcome = new FixFailingTestAgent(client).solve(FixFailingTestAgent.task());

            assertThat(outcome.transcript()).as("transcript").anySatisfy(line -> assertThat(line)
                    .isEqualTo("tests: 1 passed, 1 failing [test_calc.py::test_add]"));
            assertThat(outcome.edits()).isOne();
            assertThat(outcome.testsPass()).isTrue();
            assertThat(outcome.evaluationPassed()).as(String.join("\n", outcome.transcript())).isTrue();
            assertThat(outcome.transcript()).contains("evaluation: passed=true resolved=true");
            assertThat(client.pendingCommands()).isZero();
        }
    }

    @Test
    void oneClientDrivesSeveralWorkspacesAtOnce() throws Exception {
        int agents = 4;
        try (SimulationClient client = SimulationClient.connect(stack.cluster());
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<FixFailingTestAgent.Outcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < agents; i++) {
                outcomes.add(threads.submit(() -> new FixFailingTestAgent(client).solve(FixFailingTestAgent.task())));
            }
            List<String> workspaces = new ArrayList<>();
            for (Future<FixFailingTestAgent.Outcome> outcome : outcomes) {
                FixFailingTestAgent.Outcome o = outcome.get();
                assertThat(o.evaluationPassed()).as(String.join("\n", o.transcript())).isTrue();
                workspaces.add(o.workspaceId());
            }
            assertThat(workspaces).doesNotHaveDuplicates().allSatisfy(ws -> assertThat(ws).startsWith(client.runId()));
        }
    }

    @Test
    void commandsSentWithoutWaitingAreAnsweredInSeqOrderAndARejectionFailsItsFuture() {
        try (SimulationClient client = SimulationClient.connect(stack.cluster())) {
            // pipelined: nothing waits for the create before the next command goes out
            CompletableFuture<CommandReply.Created> created = client.createWorkspace(
                    "pipelined-" + UUID.randomUUID(), Task.named("pipe").build(), WorkspaceOptions.defaults());
            String ws = created.join().workspaceId();
            CompletableFuture<CommandReply.Executed> write = client.execute(ws, Actions.batch().write("a.txt", "one"));
            CompletableFuture<CommandReply.Executed> read = client.execute(ws, Actions.batch().run("cat a.txt"));
            CompletableFuture<CommandReply.Executed> bad = client.execute(ws, Actions.batch()
                    .add(FileEditAction.newBuilder().setFilePath("a.txt").setOperation("shred").build()));

            assertThat(write.join().allSucceeded()).isTrue();
            assertThat(read.join().last().getOutput()).isEqualTo("one");
            assertThatThrownBy(bad::join).cause().isInstanceOfSatisfying(CommandFailedException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.REJECTED);
                assertThat(e.seq()).isEqualTo(3);
                assertThat(e.getMessage()).contains("shred");
            });
            // the worker applied nothing for seq 3, so the close takes seq 3 again
            CommandReply.Closed closed = client.close(ws).join();
            assertThat(closed.seq()).isEqualTo(3);
            assertThat(closed.closed().getCommandsApplied()).isEqualTo(4);
        }
    }

    @Test
    void aCommandWithoutAnAnswerInTimeFailsAsTimedOut() {
        try (SimulationClient client = new SimulationClient(stack.cluster(),
                SimulationClient.Options.defaults().withCommandTimeout(Duration.ofMillis(1)))) {
            CompletableFuture<CommandReply.Created> created = client.createWorkspace(Task.named("late"));

            assertThatThrownBy(created::join).cause().isInstanceOfSatisfying(CommandFailedException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.TIMED_OUT);
                assertThat(e.getMessage()).contains("seq 0: no answer within PT0.001S");
            });
        }
    }

    @Test
    void closingTheClientFailsWhatIsStillWaiting() {
        SimulationClient client = SimulationClient.connect(stack.cluster());
        String ws = client.createWorkspace(Task.named("slow")).join().workspaceId();
        CompletableFuture<CommandReply.Executed> sleeping = client.execute(ws, Actions.batch().run("sleep 30", 60));

        client.close();

        assertThatThrownBy(sleeping::join).cause().isInstanceOfSatisfying(CommandFailedException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.CLIENT_CLOSED);
            assertThat(e.getMessage()).isEqualTo(ws + " seq 1: the client was closed before the answer came");
        });
        assertThatThrownBy(() -> client.evaluate(ws).join()).cause().isInstanceOfSatisfying(
                CommandFailedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CLIENT_CLOSED));
    }
}
