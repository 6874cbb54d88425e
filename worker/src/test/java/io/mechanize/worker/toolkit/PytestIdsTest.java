package io.mechanize.worker.toolkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PytestIdsTest {
    @Test
    void withTheFileAttributeTheModuleIsExact() {
        assertThat(PytestIds.nodeId("test_stats", "test_median_even", "test_stats.py")).isEqualTo("test_stats.py::test_median_even");
        assertThat(PytestIds.nodeId("tests.Test_Upper.TestA.TestB", "test_x", "tests/Test_Upper.py"))
                .isEqualTo("tests/Test_Upper.py::TestA::TestB::test_x");
    }

    @Test
    void withoutItUpperCaseSegmentsAreClasses() {
        assertThat(PytestIds.nodeId("tests.unit.test_io.TestReader", "test_read[1.5]", null))
                .isEqualTo("tests/unit/test_io.py::TestReader::test_read[1.5]");
        assertThat(PytestIds.nodeId("test_stats", "test_a", null)).isEqualTo("test_stats.py::test_a");
        assertThat(PytestIds.nodeId("", "tests.test_broken", null)).isEqualTo("tests.test_broken");
    }
}
