package io.mechanize.worker.toolkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.mechanize.schemas.avro.TestCase;
import io.mechanize.schemas.avro.TestSummary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JUnitXmlTest {
    private static final String PYTEST = """
            <?xml version="1.0" encoding="utf-8"?>
            <testsuites><testsuite name="pytest" errors="1" failures="1" skipped="2" tests="6">
              <testcase classname="test_stats" name="test_median_odd" file="test_stats.py" line="3" time="0.001"/>
              <testcase classname="test_stats" name="test_median_even" file="test_stats.py" line="6">
                <failure message="assert 3 == 2.5">trace</failure></testcase>
              <testcase classname="tests.unit.test_io.TestReader" name="test_read[a.b-1]" file="tests/unit/test_io.py">
                <error message="fixture failed"/></testcase>
              <testcase classname="tests.unit.test_io.TestReader" name="test_skip" file="tests/unit/test_io.py">
                <skipped type="pytest.skip" message="no"/></testcase>
              <testcase classname="tests.unit.test_io.TestReader" name="test_xf" file="tests/unit/test_io.py">
                <skipped type="pytest.xfail" message="known"/></testcase>
              <testcase classname="test_stats" name="test_out"><system-out>hi</system-out></testcase>
            </testsuite></testsuites>
            """;

    @Test
    void pytestReportBecomesNodeIdsAndOutcomes() {
        List<TestCase> cases = JUnitXml.parse(PYTEST.getBytes(StandardCharsets.UTF_8), JUnitXml.Ids.PYTEST);
        assertThat(cases).extracting(TestCase::getTestId, TestCase::getOutcome).containsExactly(
                tuple("test_stats.py::test_median_odd", "passed"),
                tuple("test_stats.py::test_median_even", "failed"),
                tuple("tests/unit/test_io.py::TestReader::test_read[a.b-1]", "error"),
                tuple("tests/unit/test_io.py::TestReader::test_skip", "skipped"),
                tuple("tests/unit/test_io.py::TestReader::test_xf", "xfailed"),
                tuple("test_stats.py::test_out", "passed"));
        TestSummary summary = new TestOutcomes(cases).summary();
        assertThat(List.of(summary.getPassed(), summary.getFailed(), summary.getErrors(), summary.getSkipped()))
                .containsExactly(2, 1, 1, 2);
        assertThat(summary.getParseError()).isNull();
    }

    @Test
    void surefireStyleIdsAreClassnameDotName() {
        String xml = "<testsuite name=\"x\"><testcase classname=\"com.acme.FooTest\" name=\"adds\"/></testsuite>";
        assertThat(JUnitXml.parse(xml.getBytes(StandardCharsets.UTF_8), JUnitXml.Ids.CLASSNAME_DOT_NAME))
                .extracting(TestCase::getTestId).containsExactly("com.acme.FooTest.adds");
    }

    @Test
    void externalEntitiesAndBrokenXmlAreRefusedWithAReason() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE t [<!ENTITY e SYSTEM "file:///etc/passwd">]>
                <testsuite><testcase classname="a" name="&e;"/></testsuite>
                """;
        assertThatThrownBy(() -> JUnitXml.parse(xxe.getBytes(StandardCharsets.UTF_8), JUnitXml.Ids.PYTEST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not well-formed").hasMessageContaining("DOCTYPE");
        assertThatThrownBy(() -> JUnitXml.parse("<testsuite><testcase".getBytes(StandardCharsets.UTF_8), JUnitXml.Ids.PYTEST))
                .hasMessageStartingWith("the JUnit XML report is not well-formed");
        assertThatThrownBy(() -> JUnitXml.parse("<html/>".getBytes(StandardCharsets.UTF_8), JUnitXml.Ids.PYTEST))
                .hasMessage("the report's root element is <html>, not <testsuites> or <testsuite>");
    }

    @Test
    void summariesListAtMost500CasesButCountThemAll() {
        List<TestCase> many = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            many.add(new TestCase("t" + i, TestOutcomes.PASSED));
        }
        TestSummary summary = new TestOutcomes(many).summary();
        assertThat(summary.getPassed()).isEqualTo(600);
        assertThat(summary.getCases()).hasSize(TestOutcomes.MAX_CASES);
        assertThat(TestOutcomes.unparsed("why").getParseError()).isEqualTo("why");
    }
}
