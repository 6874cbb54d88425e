package io.mechanize.worker.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.CriterionResult;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.worker.sandbox.CappedOutput;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    @Test
    void noCriteriaIsAFullPass() {
        EvaluationMetrics metrics = Evaluator.summarize(List.of(), Duration.ofMillis(5));
        assertThat(metrics.getCompletionPercentage()).isEqualTo(100.0);
        assertThat(metrics.getPassed()).isTrue();
        assertThat(metrics.getDurationMs()).isEqualTo(5);
    }

    @Test
    void completionIsThePassedShare() {
        EvaluationMetrics metrics = Evaluator.summarize(List.of(
                new CriterionResult("a", "COMMAND", true, ""), new CriterionResult("b", "COMMAND", false, ""),
                new CriterionResult("c", "COMMAND", true, ""), new CriterionResult("d", "COMMAND", true, "")),
                Duration.ZERO);
        assertThat(metrics.getCompletionPercentage()).isEqualTo(75.0);
        assertThat(metrics.getPassed()).isFalse();
    }

    /** What final-diff.sh prints before the command's output: an empty diff, then the end line. */
    private static String noChanges(List<String> argv) {
        return "\036mz-diff 0\n\036mz-diff-end " + argv.get(7) + "\n";
    }

    @Test
    void aCommandPassesOnExitZeroAndTheDetailKeepsTheOutputTail() throws Exception {
        List<List<String>> ran = new ArrayList<>();
        SandboxContainer fake = fake(ran, argv -> argv.getFirst().equals("bash")
                ? new ExecResult(0, out(noChanges(argv) + "x".repeat(5000) + "END"), CappedOutput.empty(), false, Duration.ZERO)
                : new ExecResult(0, out("not json"), CappedOutput.empty(), false, Duration.ZERO));
        EvaluationMetrics metrics = new Evaluator(fake, ResourceLimits.newBuilder().build(), fixedClock())
                .evaluate(List.of(command("ok", "make test"),
                        EvaluationCriterion.newBuilder().setType(CriterionType.FILE_EXISTS).setFilePath("x").build()));
        assertThat(ran.getFirst()).as("the final diff's script, which became the command")
                .startsWith("bash", "-c", FinalDiff.SCRIPT).endsWith("bash", "-c", "make test");
        CriterionResult ok = metrics.getCriteriaResults().get(0);
        assertThat(ok.getPassed()).isTrue();
        assertThat(ok.getDetail()).startsWith("exit code 0").endsWith("END").doesNotContain("mz-diff");
        assertThat(ok.getDetail().length()).isLessThan(Evaluator.DETAIL_TAIL_CHARS + 100);
        CriterionResult other = metrics.getCriteriaResults().get(1);
        assertThat(other.getName()).isEqualTo("FILE_EXISTS#1");
        assertThat(other.getPassed()).isFalse();
        assertThat(other.getDetail()).contains("the in-container helper replied with something that is not JSON");
        assertThat(metrics.getCompletionPercentage()).isEqualTo(50.0);
    }

    @Test
    void aFirstCommandRunsInTheExecThatTakesTheDiffAndKeepsItsOwnExitCodeAndOutput() throws Exception {
        String gnu = "diff -ruN --no-dereference -x .git -x __pycache__ -x .pytest_cache -- /tmp/.mechanize-pristine/x /workspace/x\n"
                + "--- /tmp/.mechanize-pristine/x\t2026-11-26 22:27:28.068921684 +0000\n"
                + "+++ /workspace/x\t2026-11-26 22:30:01.000000000 +0000\n@@ -1 +1 @@\n-one\n+two\n";
        List<List<String>> ran = new ArrayList<>();
        SandboxContainer fake = fake(ran, argv -> new ExecResult(3, out("\036mz-diff 1\n" + gnu + "\036mz-diff-end "
                + argv.get(7) + "\ntests ran\nFAILED\n"), out("boom\n"), false, Duration.ZERO));

        EvaluationMetrics metrics = new Evaluator(fake, ResourceLimits.newBuilder().build(), fixedClock())
                .evaluate(List.of(command("first", "make test")));

        assertThat(ran).as("one exec: the diff, which became the command").hasSize(1);
        CriterionResult first = metrics.getCriteriaResults().getFirst();
        assertThat(first.getPassed()).isFalse();
        assertThat(first.getDetail()).startsWith("exit code 3").contains("tests ran\nFAILED").contains("boom")
                .doesNotContain("mz-diff").doesNotContain("+two");
        assertThat(metrics.getFinalDiff()).isEqualTo("diff -u a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-one\n+two\n");
    }

    @Test
    void anImageWithoutGnuDiffHasTheHelperTakeTheDiffAndTheCommandRunsOnce() throws Exception {
        String reply = "{\"ok\": true, \"output\": \"diff -u a/x b/x\\n\", \"truncated\": false}";
        List<List<String>> ran = new ArrayList<>();
        SandboxContainer fake = fake(ran, argv -> argv.getFirst().equals("bash")
                ? new ExecResult(FinalDiff.NO_GNU_DIFF, CappedOutput.empty(), CappedOutput.empty(), false, Duration.ZERO)
                : new ExecResult(0, out("\036mz-reply " + reply.length() + "\036" + reply + "ok\n"), CappedOutput.empty(),
                        false, Duration.ZERO));

        EvaluationMetrics metrics = new Evaluator(fake, ResourceLimits.newBuilder().build(), fixedClock())
                .evaluate(List.of(command("first", "make test")));

        assertThat(ran).extracting(List::getFirst).as("the script ran nothing; the helper became the command")
                .containsExactly("bash", "python3");
        assertThat(metrics.getCriteriaResults().getFirst().getPassed()).isTrue();
        assertThat(metrics.getFinalDiff()).isEqualTo("diff -u a/x b/x\n");
    }

    @Test
    void whenTheHelperCannotRunTheFirstCommandStillRunsOnItsOwn() throws Exception {
        List<List<String>> ran = new ArrayList<>();
        // no frame: neither GNU diff nor python in the image (exit 127), so the command never ran
        SandboxContainer fake = fake(ran, argv -> new ExecResult(127, CappedOutput.empty(), out("not found"), false,
                Duration.ZERO));

        EvaluationMetrics metrics = new Evaluator(fake, ResourceLimits.newBuilder().build(), fixedClock())
                .evaluate(List.of(command("first", "true")));

        assertThat(ran).extracting(List::getFirst).containsExactly("bash", "python3", "python3", "bash");
        assertThat(ran.getLast()).containsExactly("bash", "-c", "true");
        assertThat(metrics.getFinalDiff()).isNull();
    }

    @Test
    void aTimedOutCommandFails() throws Exception {
        SandboxContainer fake = fake(new ArrayList<>(), new ExecResult(-1, CappedOutput.empty(), out("slow"), true, Duration.ofSeconds(3)));
        EvaluationMetrics metrics = new Evaluator(fake, ResourceLimits.newBuilder().build(), fixedClock())
                .evaluate(List.of(EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setCommand("sleep 9")
                        .setTimeout(3).build()));
        assertThat(metrics.getCriteriaResults().getFirst().getPassed()).isFalse();
        assertThat(metrics.getCriteriaResults().getFirst().getDetail()).startsWith("timed out after 3s").contains("slow");
    }

    private static EvaluationCriterion command(String name, String command) {
        return EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setName(name).setCommand(command).build();
    }

    private static CappedOutput out(String text) {
        return new CappedOutput(text, text.length(), false);
    }

    private static Clock fixedClock() {
        return Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    }

    static SandboxContainer fake(List<List<String>> ran, ExecResult result) {
        return fake(ran, argv -> result);
    }

    static SandboxContainer fake(List<List<String>> ran, java.util.function.Function<List<String>, ExecResult> answer) {
        return new SandboxContainer() {
            @Override
            public String id() {
                return "fake";
            }

            @Override
            public ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout, int max) {
                ran.add(argv);
                return answer.apply(argv);
            }

            @Override
            public void close() {}
        };
    }
}
