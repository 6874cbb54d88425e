package io.mechanize.worker.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.TestCase;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestVerdictTest {
    private static final List<TestCase> RUN = List.of(
            new TestCase("t.py::fixed", "passed"), new TestCase("t.py::kept", "passed"),
            new TestCase("t.py::broken", "failed"), new TestCase("t.py::xf", "xfailed"),
            new TestCase("t.py::flaky", "passed"), new TestCase("t.py::flaky", "failed"),
            new TestCase("t.py::skipped", "skipped"));

    @Test
    void resolvedWhenEveryListedTestPasses() {
        TestVerdict verdict = TestVerdict.decide(RUN, List.of("t.py::fixed"), List.of("t.py::kept", "t.py::xf"));
        assertThat(verdict.resolved()).isTrue();
        assertThat(verdict.describe()).isEqualTo("FAIL_TO_PASS 1/1 pass; PASS_TO_PASS 2/2 pass");
    }

    @Test
    void aFailingMissingSkippedOrOnceFailedTestIsNotResolved() {
        TestVerdict verdict = TestVerdict.decide(RUN, List.of("t.py::fixed", "t.py::missing"),
                List.of("t.py::broken", "t.py::flaky", "t.py::skipped"));
        assertThat(verdict.resolved()).isFalse();
        assertThat(verdict.failToPassFailing()).containsExactly("t.py::missing");
        assertThat(verdict.passToPassFailing()).containsExactly("t.py::broken", "t.py::flaky", "t.py::skipped");
        assertThat(verdict.describe()).startsWith("FAIL_TO_PASS 1/2 pass (failing or missing: t.py::missing)");
    }
}
