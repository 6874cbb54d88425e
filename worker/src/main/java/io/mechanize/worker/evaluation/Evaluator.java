package io.mechanize.worker.evaluation;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.CriterionResult;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a workspace's evaluation criteria. COMMAND passes when the command exits 0; the other
 * types are reported as not passed until they are implemented.
 */
public final class Evaluator {
    /** How much of a command's output a criterion's detail keeps. */
    static final int DETAIL_TAIL_CHARS = 1000;

    private final SandboxContainer container;
    private final ResourceLimits limits;
    private final Clock clock;

    public Evaluator(SandboxContainer container, ResourceLimits limits, Clock clock) {
        this.container = requireNonNull(container, "container is null");
        this.limits = requireNonNull(limits, "limits is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public EvaluationMetrics evaluate(List<EvaluationCriterion> criteria) throws WorkspaceException {
        requireNonNull(criteria, "criteria is null");
        Instant start = clock.instant();
        List<CriterionResult> results = new ArrayList<>();
        for (int i = 0; i < criteria.size(); i++) {
            results.add(evaluate(criteria.get(i), i));
        }
        return summarize(results, Duration.between(start, clock.instant()));
    }

    /** completion = passed / total * 100 (100 for no criteria); passed = all passed. */
    static EvaluationMetrics summarize(List<CriterionResult> results, Duration duration) {
        long passed = results.stream().filter(CriterionResult::getPassed).count();
        double completion = results.isEmpty() ? 100.0 : passed * 100.0 / results.size();
        return EvaluationMetrics.newBuilder()
                .setCriteriaResults(results)
                .setCompletionPercentage(completion)
                .setPassed(passed == results.size())
                .setDurationMs(duration.toMillis())
                .build();
    }

    private CriterionResult evaluate(EvaluationCriterion criterion, int index) throws WorkspaceException {
        String name = criterion.getName() != null ? criterion.getName() : criterion.getType() + "#" + index;
        return switch (criterion.getType()) {
            case COMMAND -> command(criterion, name);
            case FILE_EXISTS, FILE_CONTAINS, TESTS ->
                    result(name, criterion, false, "criterion type " + criterion.getType() + " is not implemented yet");
        };
    }

    private CriterionResult command(EvaluationCriterion criterion, String name) throws WorkspaceException {
        if (criterion.getCommand() == null || criterion.getCommand().isBlank()) {
            return result(name, criterion, false, "criterion COMMAND has no command");
        }
        int seconds = criterion.getTimeout() != null ? criterion.getTimeout() : limits.getDefaultTimeout();
        if (seconds <= 0) {
            return result(name, criterion, false, "timeout must be > 0 seconds, was " + seconds);
        }
        ExecResult exec = container.exec(List.of("bash", "-c", criterion.getCommand()), null,
                Duration.ofSeconds(seconds), limits.getMaxOutputBytes());
        String verdict = exec.timedOut() ? "timed out after " + seconds + "s" : "exit code " + exec.exitCode();
        return result(name, criterion, exec.succeeded(), verdict + outputTail(exec));
    }

    static String outputTail(ExecResult exec) {
        String out = exec.stdout().tail(DETAIL_TAIL_CHARS).strip();
        String err = exec.stderr().tail(DETAIL_TAIL_CHARS).strip();
        StringBuilder detail = new StringBuilder();
        if (!out.isEmpty()) {
            detail.append("\nstdout (tail):\n").append(out);
        }
        if (!err.isEmpty()) {
            detail.append("\nstderr (tail):\n").append(err);
        }
        return detail.toString();
    }

    private static CriterionResult result(String name, EvaluationCriterion criterion, boolean passed, String detail) {
        return new CriterionResult(name, criterion.getType().name(), passed, detail);
    }
}
