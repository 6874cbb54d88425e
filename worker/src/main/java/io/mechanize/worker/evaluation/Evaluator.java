package io.mechanize.worker.evaluation;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.CriterionResult;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.sandbox.SnapshotPlacement;
import io.mechanize.worker.toolkit.Helper;
import io.mechanize.worker.toolkit.HelperReply;
import io.mechanize.worker.toolkit.TestRunner;
import io.mechanize.schemas.avro.TestSummary;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a workspace's evaluation criteria: COMMAND passes when the command exits 0, FILE_EXISTS
 * when the path exists in /workspace, FILE_CONTAINS when the regex (Java syntax, MULTILINE)
 * finds a match in the file, TESTS when its FAIL_TO_PASS and PASS_TO_PASS lists hold (see
 * {@link TestVerdict}) or, without lists, when the command exits 0 with no failed test. The
 * metrics carry the diff of /workspace against the snapshot as it was placed.
 */
public final class Evaluator {
    private static final Logger log = LoggerFactory.getLogger(Evaluator.class);
    /** How much of a command's output a criterion's detail keeps. */
    static final int DETAIL_TAIL_CHARS = 1000;
    /** final_diff keeps at most this many bytes. */
    static final int DIFF_CAP_BYTES = 256 * 1024;
    /** FILE_CONTAINS looks at most at this many bytes of the file. */
    static final int CONTAINS_CAP_BYTES = 4 * 1024 * 1024;
    private static final Duration HELPER_TIMEOUT = Duration.ofSeconds(60);

    private final SandboxContainer container;
    private final ResourceLimits limits;
    private final Clock clock;
    private final Helper helper;
    /** Whether the image has GNU diff; the first exec that finds it missing turns this off. */
    private boolean hasGnuDiff = true;
    private final TestRunner tests;

    public Evaluator(SandboxContainer container, ResourceLimits limits, Clock clock) {
        this.container = requireNonNull(container, "container is null");
        this.helper = new Helper(container);
        this.tests = new TestRunner(container);
        this.limits = requireNonNull(limits, "limits is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public EvaluationMetrics evaluate(List<EvaluationCriterion> criteria) throws WorkspaceException {
        requireNonNull(criteria, "criteria is null");
        Instant start = clock.instant();
        List<CriterionResult> results = new ArrayList<>();
        TestTotals totals = new TestTotals();
        // the final diff is the agent's work, taken before any criterion runs; when the first
        // criterion is a command, the diff's helper becomes that command in the same exec
        Optional<FirstCommand> first = criteria.isEmpty() ? Optional.empty() : diffThenCommand(criteria.getFirst());
        String diff = first.isPresent() ? first.get().diff() : finalDiff();
        for (int i = 0; i < criteria.size(); i++) {
            results.add(i == 0 && first.isPresent() ? first.get().result() : evaluate(criteria.get(i), i, totals));
        }
        EvaluationMetrics metrics = summarize(results, Duration.between(start, clock.instant()));
        metrics.setTestsPassed(totals.passed);
        metrics.setTestsFailed(totals.failed);
        metrics.setResolved(totals.judged ? totals.resolved : null);
        metrics.setFinalDiff(diff);
        metrics.setDurationMs(Duration.between(start, clock.instant()).toMillis());
        return metrics;
    }

    /** What the TESTS criteria add up to; resolved stays null unless one names test lists. */
    private static final class TestTotals {
        int passed;
        int failed;
        boolean judged;
        boolean resolved = true;
    }

    /** The first criterion's result and the final diff, from one exec. */
    private record FirstCommand(CriterionResult result, String diff) {}

    /**
     * Takes the final diff and runs a COMMAND criterion in one exec (the diff's helper replies,
     * then becomes {@code bash -c <command>}); empty when the criterion is of another type or
     * invalid, or when the helper could not run, and then the criterion did not run either.
     */
    private Optional<FirstCommand> diffThenCommand(EvaluationCriterion criterion) throws WorkspaceException {
        if (criterion.getType() != CriterionType.COMMAND || criterion.getCommand() == null
                || criterion.getCommand().isBlank()) {
            return Optional.empty();
        }
        int seconds = commandSeconds(criterion);
        if (seconds <= 0) {
            return Optional.empty();
        }
        String name = criterion.getName() != null ? criterion.getName() : criterion.getType() + "#0";
        List<String> command = List.of("bash", "-c", criterion.getCommand());
        Optional<FinalDiff.Taken> taken = gnuDiff(command, Duration.ofSeconds(seconds), limits.getMaxOutputBytes());
        if (taken.isPresent()) {
            return Optional.of(new FirstCommand(commandResult(criterion, name, taken.get().rest(), seconds),
                    diffOf(taken.get())));
        }
        Optional<Helper.Chained> chained = helper.callThenExec(DIFF_REQUEST, command,
                HELPER_TIMEOUT, Duration.ofSeconds(seconds), DIFF_REPLY_BYTES, limits.getMaxOutputBytes());
        if (chained.isEmpty()) {
            log.info("the diff's helper did not run; the first criterion runs in an exec of its own");
            return Optional.empty();
        }
        return Optional.of(new FirstCommand(commandResult(criterion, name, chained.get().exec(), seconds),
                diffOf(chained.get().reply())));
    }

    /**
     * The final diff by GNU diff, then {@code then} in the same exec; empty when the image has no
     * GNU diff (nothing ran, and the helper takes the diff instead).
     */
    private Optional<FinalDiff.Taken> gnuDiff(List<String> then, Duration commandTimeout, int maxOutputBytes)
            throws WorkspaceException {
        if (!hasGnuDiff) {
            return Optional.empty();
        }
        String end = java.util.UUID.randomUUID().toString();
        ExecResult exec = container.exec(FinalDiff.argv(SnapshotPlacement.PRISTINE_DIR, DIFF_CAP_BYTES, HELPER_TIMEOUT,
                        end, then), Map.of(), null, HELPER_TIMEOUT.plus(commandTimeout).plus(DIFF_START_MARGIN),
                (int) Math.min(Integer.MAX_VALUE - 8, 2L * DIFF_CAP_BYTES + maxOutputBytes + 65536));
        Optional<FinalDiff.Taken> taken = FinalDiff.parse(exec, SnapshotPlacement.PRISTINE_DIR, end);
        if (taken.isPresent()) {
            return taken;
        }
        if ((exec.exitCode() == FinalDiff.NO_GNU_DIFF || exec.exitCode() == NOT_FOUND)
                && !exec.stdout().text().contains("\036mz-diff")) {
            // nothing ran: no GNU diff (or no bash) in the image
            log.info("no GNU diff in the image (exit code {}): the helper takes the final diff", exec.exitCode());
            hasGnuDiff = false;
            return Optional.empty();
        }
        // the frame is not whole (the agent killed the script, say): whatever ran, ran once
        return Optional.of(new FinalDiff.Taken(null, false, "unreadable (exit code " + exec.exitCode() + ")", exec));
    }

    private static String diffOf(FinalDiff.Taken taken) {
        if (taken.diff() == null) {
            log.info("no final diff: {}", taken.status().equals("missing")
                    ? "no pristine copy of the snapshot at " + SnapshotPlacement.PRISTINE_DIR : "its output was " + taken.status());
            return null;
        }
        if (!taken.status().equals("0") && !taken.status().equals("1") && !taken.truncated()) {
            log.info("the final diff is incomplete: diff ended with status {}", taken.status());
        }
        return taken.truncated() ? taken.diff() + "[... diff truncated at " + DIFF_CAP_BYTES + " bytes ...]\n"
                : taken.diff();
    }

    private static final Map<String, Object> DIFF_REQUEST =
            Map.of("op", "diff", "base", SnapshotPlacement.PRISTINE_DIR, "cap", DIFF_CAP_BYTES);
    private static final int DIFF_REPLY_BYTES = DIFF_CAP_BYTES * 6 + 65536;
    /** Time for the exec to start, on top of the diff's budget and the command's timeout. */
    private static final Duration DIFF_START_MARGIN = Duration.ofSeconds(30);
    /** A shell's exit code for a command it cannot find. */
    private static final int NOT_FOUND = 127;

    /** The diff of /workspace against the pristine snapshot copy, or null when there is none. */
    private String finalDiff() throws WorkspaceException {
        Optional<FinalDiff.Taken> taken = gnuDiff(List.of(), Duration.ZERO, 0);
        return taken.isPresent() ? diffOf(taken.get()) : diffOf(helper.call(DIFF_REQUEST, HELPER_TIMEOUT, DIFF_REPLY_BYTES));
    }

    private static String diffOf(HelperReply reply) {
        if (!reply.ok()) {
            log.info("no final diff: {}", reply.error());
            return null;
        }
        String diff = reply.text("output");
        return reply.body().path("truncated").asBoolean() ? diff + "[... diff truncated at " + DIFF_CAP_BYTES + " bytes ...]\n" : diff;
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

    private CriterionResult evaluate(EvaluationCriterion criterion, int index, TestTotals totals) throws WorkspaceException {
        String name = criterion.getName() != null ? criterion.getName() : criterion.getType() + "#" + index;
        return switch (criterion.getType()) {
            case COMMAND -> command(criterion, name);
            case FILE_EXISTS -> fileExists(criterion, name);
            case FILE_CONTAINS -> fileContains(criterion, name);
            case TESTS -> tests(criterion, name, totals);
        };
    }

    private CriterionResult fileExists(EvaluationCriterion criterion, String name) throws WorkspaceException {
        if (criterion.getFilePath() == null || criterion.getFilePath().isBlank()) {
            return result(name, criterion, false, "criterion FILE_EXISTS has no file_path");
        }
        HelperReply reply = helper.call(Map.of("op", "exists", "path", criterion.getFilePath()), HELPER_TIMEOUT, 65536);
        if (!reply.ok()) {
            return result(name, criterion, false, reply.error());
        }
        boolean exists = reply.body().path("exists").asBoolean();
        return result(name, criterion, exists, "'" + criterion.getFilePath() + "' " + (exists ? "exists" : "does not exist"));
    }

    private CriterionResult fileContains(EvaluationCriterion criterion, String name) throws WorkspaceException {
        if (criterion.getFilePath() == null || criterion.getPattern() == null) {
            return result(name, criterion, false, "criterion FILE_CONTAINS needs file_path and pattern");
        }
        Pattern pattern;
        try {
            pattern = Pattern.compile(criterion.getPattern(), Pattern.MULTILINE);
        } catch (PatternSyntaxException e) {
            return result(name, criterion, false, "pattern is not a valid regular expression: " + e.getDescription());
        }
        HelperReply reply = helper.call(Map.of("op", "read", "path", criterion.getFilePath(), "cap", CONTAINS_CAP_BYTES),
                HELPER_TIMEOUT, CONTAINS_CAP_BYTES / 3 * 4 + 65536);
        if (!reply.ok()) {
            return result(name, criterion, false, reply.error());
        }
        String text = new String(Base64.getDecoder().decode(reply.text("content")), StandardCharsets.UTF_8);
        Matcher m = pattern.matcher(text);
        if (m.find()) {
            int line = (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
            return result(name, criterion, true, "/" + criterion.getPattern() + "/ matches '" + criterion.getFilePath()
                    + "' at line " + line);
        }
        return result(name, criterion, false, "/" + criterion.getPattern() + "/ does not match '" + criterion.getFilePath() + "'"
                + (reply.body().path("truncated").asBoolean() ? " (first " + CONTAINS_CAP_BYTES + " bytes searched)" : ""));
    }

    private CriterionResult tests(EvaluationCriterion criterion, String name, TestTotals totals) throws WorkspaceException {
        if (criterion.getCommand() == null || criterion.getCommand().isBlank()) {
            return result(name, criterion, false, "criterion TESTS has no command");
        }
        int seconds = criterion.getTimeout() != null ? criterion.getTimeout() : limits.getDefaultTimeout();
        if (seconds <= 0) {
            return result(name, criterion, false, "timeout must be > 0 seconds, was " + seconds);
        }
        boolean lists = !criterion.getFailToPass().isEmpty() || !criterion.getPassToPass().isEmpty();
        if (lists) {
            totals.judged = true;
        }
        TestRunner.TestRun run;
        try {
            run = tests.run(criterion.getCommand(), criterion.getFramework() == null ? "generic" : criterion.getFramework(),
                    null, Duration.ofSeconds(seconds), limits.getMaxOutputBytes());
        } catch (IllegalArgumentException e) {
            totals.resolved &= !lists;
            return result(name, criterion, false, e.getMessage());
        }
        ExecResult exec = run.exec();
        TestSummary summary = run.summary();
        StringBuilder detail = new StringBuilder(exec.timedOut() ? "timed out after " + seconds + "s" : "exit code " + exec.exitCode());
        boolean noFailures = true;
        if (summary != null) {
            totals.passed += summary.getPassed();
            totals.failed += summary.getFailed() + summary.getErrors();
            noFailures = summary.getParseError() == null && summary.getFailed() + summary.getErrors() == 0;
            detail.append(summary.getParseError() != null ? "; report not parsed: " + summary.getParseError()
                    : "; " + summary.getPassed() + " passed, " + summary.getFailed() + " failed, " + summary.getErrors()
                            + " errors, " + summary.getSkipped() + " skipped");
        }
        boolean passed;
        if (lists) {
            TestVerdict verdict = TestVerdict.decide(run.cases(), criterion.getFailToPass(), criterion.getPassToPass());
            passed = verdict.resolved();
            totals.resolved &= passed;
            detail.append("; ").append(verdict.describe());
        } else {
            passed = exec.succeeded() && noFailures;
        }
        return result(name, criterion, passed, detail + (passed ? "" : outputTail(exec)));
    }

    private CriterionResult command(EvaluationCriterion criterion, String name) throws WorkspaceException {
        if (criterion.getCommand() == null || criterion.getCommand().isBlank()) {
            return result(name, criterion, false, "criterion COMMAND has no command");
        }
        int seconds = commandSeconds(criterion);
        if (seconds <= 0) {
            return result(name, criterion, false, "timeout must be > 0 seconds, was " + seconds);
        }
        ExecResult exec = container.exec(List.of("bash", "-c", criterion.getCommand()), null,
                Duration.ofSeconds(seconds), limits.getMaxOutputBytes());
        return commandResult(criterion, name, exec, seconds);
    }

    private int commandSeconds(EvaluationCriterion criterion) {
        return criterion.getTimeout() != null ? criterion.getTimeout() : limits.getDefaultTimeout();
    }

    private static CriterionResult commandResult(EvaluationCriterion criterion, String name, ExecResult exec, int seconds) {
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
