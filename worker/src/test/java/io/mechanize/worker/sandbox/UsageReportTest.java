package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UsageReportTest {

    @Test
    void aReplyWithCountersIsMeasured() {
        UsageReport report = UsageReport.parse("U 5000000 1048576 3 0 0\nC\tnew.txt\nW 4096\n");

        assertThat(report.measured()).isTrue();
        assertThat(report.cpuNanos()).isEqualTo(5_000_000);
        assertThat(report.peakPids()).isEqualTo(3);
        assertThat(report.created()).containsExactly("new.txt");
    }

    @Test
    void withoutACgroupTheUsageIsUnmeasuredButTheChangesAreKnown() {
        // what the probe answers under gVisor, where /sys/fs/cgroup cannot be read
        UsageReport report = UsageReport.parse("C\tnew.txt\nW 4096\n");

        assertThat(report.measured()).isFalse();
        assertThat(report.changesKnown()).isTrue();
        assertThat(report.created()).containsExactly("new.txt");
        assertThat(report.workspaceBytes()).isEqualTo(4096);
    }

    @Test
    void aNoteAboutTheListerIsNeitherAChangeNorAFigure() {
        UsageReport report = UsageReport.parse("U 1 2 3 0 0\nX\nN the resident lister (pid 42) was stopped: it did not"
                + " answer within 10 s\n");

        assertThat(report.changesKnown()).as("X: this action's changes are unknown").isFalse();
        assertThat(report.created()).isEmpty();
        assertThat(report.modified()).isEmpty();
        assertThat(report.deleted()).isEmpty();
        assertThat(report.cpuNanos()).isEqualTo(1);
    }
}
