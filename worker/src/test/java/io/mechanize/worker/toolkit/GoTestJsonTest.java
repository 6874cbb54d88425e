package io.mechanize.worker.toolkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.mechanize.schemas.avro.TestCase;
import java.util.List;
import org.junit.jupiter.api.Test;

class GoTestJsonTest {
    /** A canned `go test -json ./...` stream: one package passes and fails, one does not build. */
    private static final String STREAM = """
            {"Time":"2026-01-01T00:00:00Z","Action":"start","Package":"example.com/m/stats"}
            {"Action":"run","Package":"example.com/m/stats","Test":"TestMedian"}
            {"Action":"output","Package":"example.com/m/stats","Test":"TestMedian","Output":"=== RUN   TestMedian\\n"}
            {"Action":"pass","Package":"example.com/m/stats","Test":"TestMedian","Elapsed":0}
            {"Action":"run","Package":"example.com/m/stats","Test":"TestMean/empty"}
            {"Action":"fail","Package":"example.com/m/stats","Test":"TestMean/empty","Elapsed":0}
            {"Action":"fail","Package":"example.com/m/stats","Test":"TestMean","Elapsed":0}
            {"Action":"skip","Package":"example.com/m/stats","Test":"TestSlow","Elapsed":0}
            {"Action":"fail","Package":"example.com/m/stats","Elapsed":0.01}
            # example.com/m/broken
            broken/b.go:3:1: syntax error
            {"Action":"fail","Package":"example.com/m/broken","Elapsed":0}
            {"Action":"pass","Package":"example.com/m/ok","Elapsed":0}
            """;

    @Test
    void eachTestsLastOutcomeAndBuildFailuresAsErrors() {
        List<TestCase> cases = GoTestJson.parse(STREAM);
        assertThat(cases).extracting(TestCase::getTestId, TestCase::getOutcome).containsExactly(
                tuple("example.com/m/stats::TestMedian", "passed"),
                tuple("example.com/m/stats::TestMean/empty", "failed"),
                tuple("example.com/m/stats::TestMean", "failed"),
                tuple("example.com/m/stats::TestSlow", "skipped"),
                tuple("example.com/m/broken", "error"));
    }

    @Test
    void outputWithoutEventsCannotBeParsed() {
        assertThatThrownBy(() -> GoTestJson.parse("ok  \texample.com/m\t0.01s\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no `go test -json` event");
    }
}
