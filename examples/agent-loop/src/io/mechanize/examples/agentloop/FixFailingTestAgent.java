package io.mechanize.examples.agentloop;

import io.mechanize.cli.client.Actions;
import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.client.CommandReply;
import io.mechanize.cli.client.SimulationClient;
import io.mechanize.cli.client.Task;
import io.mechanize.cli.client.WorkspaceOptions;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.TaskSpec;
import io.mechanize.schemas.avro.TestCase;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scripted agent that fixes a failing test, one step at a time, looking at each answer before
 * choosing the next action: create the workspace, run pytest, read the failing test's output and
 * the code it names, replace the faulty line, run pytest again, evaluate, close.
 *
 * <p>{@link #propose} stands where a model would: it reads the failure and proposes one edit. Its
 * rule is deliberately small (the return line of the function under test has the wrong operator).
 *
 * <p>Run it against a cluster: {@code java ... FixFailingTestAgent BOOTSTRAP_SERVERS SCHEMA_REGISTRY_URL}.
 */
public final class FixFailingTestAgent {
    static final String TESTS = "python3 -m pytest -q -p no:cacheprovider";
    private static final Pattern FAILING_CALL = Pattern.compile("where \\S+ = (\\w+)\\(");
    private static final int MAX_ATTEMPTS = 3;

    /** What the agent did and how it ended. */
    public record Outcome(String workspaceId, boolean testsPass, boolean evaluationPassed, int edits,
            List<String> transcript) {}

    /** One edit: replace {@code oldText} (it must occur once) in {@code file} with {@code newText}. */
    public record Edit(String file, String oldText, String newText) {}

    private final SimulationClient client;

    public FixFailingTestAgent(SimulationClient client) {
        this.client = client;
    }

    /** A small Python project whose {@code test_add} fails: {@code add} subtracts. */
    public static TaskSpec task() {
        return Task.named("fix-add")
                .description("test_add fails: make every test in test_calc.py pass")
                .file("calc.py", """
                        def add(a, b):
                            return a - b


                        def mul(a, b):
                            return a * b
                        """)
                .file("test_calc.py", """
                        from calc import add, mul


                        def test_add():
                            assert add(2, 3) == 5


                        def test_mul():
                            assert mul(2, 3) == 6
                        """)
                .criterion(Task.tests(TESTS, "pytest", List.of("test_calc.py::test_add"),
                        List.of("test_calc.py::test_mul")))
                .build();
    }

    public Outcome solve(TaskSpec task) {
        List<String> transcript = new ArrayList<>();
        String ws = client.createWorkspace(task, WorkspaceOptions.defaults()).join().workspaceId();
        transcript.add("created " + ws);
        int edits = 0;
        boolean pass = false;
        try {
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                ActionResult run = client.execute(ws, Actions.batch().test(TESTS, "pytest")).join().last();
                List<String> failing = failingTests(run);
                transcript.add("tests: " + run.getTestSummary().getPassed() + " passed, " + failing.size()
                        + " failing " + failing);
                if (run.getSuccess()) {
                    pass = true;
                    break;
                }
                Optional<Edit> edit = propose(run.getOutput(), source(ws, "calc.py"));
                if (edit.isEmpty()) {
                    transcript.add("no idea how to fix it: giving up");
                    break;
                }
                CommandReply.Executed applied = client.execute(ws, Actions.batch()
                        .strReplace(edit.get().file(), edit.get().oldText(), edit.get().newText())).join();
                edits++;
                transcript.add("edit " + edit.get() + ": " + (applied.allSucceeded() ? "applied"
                        : "refused: " + applied.last().getErrorMessage()));
            }
            CommandReply.Evaluated evaluation = client.evaluate(ws).join();
            transcript.add("evaluation: passed=" + evaluation.passed() + " resolved="
                    + evaluation.metrics().getResolved());
            return new Outcome(ws, pass, evaluation.passed(), edits, transcript);
        } finally {
            client.close(ws).join();
            transcript.add("closed " + ws);
        }
    }

    private String source(String ws, String file) {
        return client.execute(ws, Actions.batch().read(file)).join().last().getOutput();
    }

    static List<String> failingTests(ActionResult testRun) {
        if (testRun.getTestSummary() == null) {
            return List.of();
        }
        return testRun.getTestSummary().getCases().stream()
                .filter(c -> c.getOutcome().equals("failed") || c.getOutcome().equals("error"))
                .map(TestCase::getTestId).toList();
    }

    /**
     * The "model": pytest's output names the function whose result was wrong ({@code where -1 =
     * add(2, 3)}); in that function's return line a swapped {@code -}/{@code +} is the suspect.
     */
    static Optional<Edit> propose(String pytestOutput, String calcSource) {
        Matcher call = FAILING_CALL.matcher(pytestOutput);
        if (!call.find()) {
            return Optional.empty();
        }
        String function = call.group(1);
        String[] lines = calcSource.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("def " + function + "(")) {
                for (int j = i + 1; j < lines.length && !lines[j].startsWith("def "); j++) {
                    String line = lines[j];
                    if (line.strip().startsWith("return ") && line.contains(" - ")) {
                        return Optional.of(new Edit("calc.py", line, line.replace(" - ", " + ")));
                    }
                }
            }
        }
        return Optional.empty();
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: FixFailingTestAgent BOOTSTRAP_SERVERS SCHEMA_REGISTRY_URL");
            System.exit(2);
        }
        try (SimulationClient client = SimulationClient.connect(new Cluster(args[0], args[1]))) {
            Outcome outcome = new FixFailingTestAgent(client).solve(task());
            outcome.transcript().forEach(System.out::println);
            System.exit(outcome.evaluationPassed() ? 0 : 1);
        }
    }
}
