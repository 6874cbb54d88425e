package io.mechanize.worker.evaluation;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.TestCase;
import io.mechanize.worker.toolkit.TestOutcomes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SWE-bench decision for one test run: resolved when every FAIL_TO_PASS test now passes and
 * every PASS_TO_PASS test still passes. A listed test the report does not name counts as
 * failing; a test that appears several times fails if any run of it failed. Passing means
 * {@code passed} or {@code xfailed} (the harness's PASSED and XFAIL).
 *
 * @param failToPassFailing the FAIL_TO_PASS tests that do not pass
 * @param passToPassFailing the PASS_TO_PASS tests that do not pass
 */
record TestVerdict(int failToPass, List<String> failToPassFailing, int passToPass, List<String> passToPassFailing) {
    TestVerdict {
        failToPassFailing = List.copyOf(failToPassFailing);
        passToPassFailing = List.copyOf(passToPassFailing);
    }

    static TestVerdict decide(List<TestCase> cases, List<String> failToPass, List<String> passToPass) {
        requireNonNull(cases, "cases is null");
        Map<String, Boolean> passes = new HashMap<>();
        for (TestCase c : cases) {
            boolean pass = c.getOutcome().equals(TestOutcomes.PASSED) || c.getOutcome().equals(TestOutcomes.XFAILED);
            passes.merge(c.getTestId(), pass, Boolean::logicalAnd);
        }
        return new TestVerdict(failToPass.size(), failing(failToPass, passes), passToPass.size(), failing(passToPass, passes));
    }

    private static List<String> failing(List<String> ids, Map<String, Boolean> passes) {
        return ids.stream().filter(id -> !passes.getOrDefault(id, false)).toList();
    }

    boolean resolved() {
        return failToPassFailing.isEmpty() && passToPassFailing.isEmpty();
    }

    /** e.g. {@code FAIL_TO_PASS 2/2 pass; PASS_TO_PASS 3/4 pass (failing: t::a)}. */
    String describe() {
        return part("FAIL_TO_PASS", failToPass, failToPassFailing) + "; " + part("PASS_TO_PASS", passToPass, passToPassFailing);
    }

    private static String part(String name, int total, List<String> failing) {
        String head = name + " " + (total - failing.size()) + "/" + total + " pass";
        if (failing.isEmpty()) {
            return head;
        }
        List<String> shown = failing.size() > 20 ? failing.subList(0, 20) : failing;
        return head + " (failing or missing: " + String.join(", ", shown) + (failing.size() > 20 ? ", ..." : "") + ")";
    }
}
