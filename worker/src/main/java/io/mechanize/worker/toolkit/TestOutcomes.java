package io.mechanize.worker.toolkit;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.TestCase;
import io.mechanize.schemas.avro.TestSummary;
import java.util.List;

/**
 * Every test case a report named, in report order, summarized for an ActionResult.
 *
 * @param cases test id and outcome ({@value #PASSED}, {@value #FAILED}, {@value #ERROR},
 *     {@value #SKIPPED}, {@value #XFAILED}) for every case found
 */
public record TestOutcomes(List<TestCase> cases) {
    public static final String PASSED = "passed";
    public static final String FAILED = "failed";
    public static final String ERROR = "error";
    public static final String SKIPPED = "skipped";
    /** An expected failure that failed (pytest xfail): counted as skipped, passes a verdict. */
    public static final String XFAILED = "xfailed";
    /** A summary lists at most this many cases; the counts cover all of them. */
    public static final int MAX_CASES = 500;

    public TestOutcomes {
        cases = List.copyOf(requireNonNull(cases, "cases is null"));
    }

    public long count(String outcome) {
        return cases.stream().filter(c -> c.getOutcome().equals(outcome)).count();
    }

    public TestSummary summary() {
        return TestSummary.newBuilder()
                .setPassed((int) count(PASSED))
                .setFailed((int) count(FAILED))
                .setErrors((int) count(ERROR))
                .setSkipped((int) (count(SKIPPED) + count(XFAILED)))
                .setCases(cases.size() > MAX_CASES ? cases.subList(0, MAX_CASES) : cases)
                .setParseError(null)
                .build();
    }

    /** A summary that says why there are no counts, instead of claiming zero tests. */
    public static TestSummary unparsed(String why) {
        return TestSummary.newBuilder().setPassed(0).setFailed(0).setErrors(0).setSkipped(0)
                .setCases(List.of()).setParseError(requireNonNull(why, "why is null")).build();
    }
}
