package io.mechanize.cli.results;

import static io.mechanize.cli.results.Events.anAction;
import static io.mechanize.cli.results.Events.anEvaluation;
import static io.mechanize.cli.results.Events.anEvent;
import static io.mechanize.cli.results.Events.closed;
import static io.mechanize.cli.results.Events.created;
import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.ViolationType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RunSummaryTest {

    @Test
    void anOpenTrackerLearnsTheRunFromItsCommandsInAnyOrder() {
        RunTracker tracker = RunTracker.open("run-9");
        // a result read before its workspace's commands: known, not finished
        tracker.accept(anEvent("run-9", "ws-a", 0, created("fix")));
        assertThat(tracker.total()).isEqualTo(1);
        assertThat(tracker.allFinished()).isFalse();

        tracker.expect("ws-a", 0, "fix");
        tracker.expect("ws-a", 1, null);
        tracker.expect("ws-b", 0, "other");
        tracker.accept(anEvent("run-9", "ws-a", 1, closed(900)));
        assertThat(tracker.finished()).isEqualTo(1);
        assertThat(tracker.allFinished()).isFalse();

        tracker.accept(anEvent("run-9", "ws-b", 0, created("other")));
        assertThat(tracker.allFinished()).isTrue();
        assertThat(tracker.total()).isEqualTo(2);
        assertThat(tracker.accept(anEvent("run-8", "ws-c", 0, created("x")))).isFalse();
    }

    @Test
    void theSummaryShowsRatesByTypeQuantilesViolationsAndSlowestTasks() {
        RunTracker t = RunTracker.open("run-9");
        for (String ws : new String[] {"ws-a", "ws-b"}) {
            for (int seq = 0; seq < 4; seq++) {
                t.expect(ws, seq, seq == 0 ? (ws.equals("ws-a") ? "fix-fib" : "fix-median") : null);
            }
        }
        t.accept(anEvent("run-9", "ws-a", 0, created("fix-fib")));
        t.accept(anEvent("run-9", "ws-a", 1, anAction(ActionType.TERMINAL_COMMAND, true, 100)));
        t.accept(anEvent("run-9", "ws-a", 1, anAction(ActionType.TERMINAL_COMMAND, false, 300,
                ViolationType.TIMEOUT)));
        t.accept(anEvent("run-9", "ws-a", 1, anAction(ActionType.FILE_EDIT, true, 5, ViolationType.PATH_ESCAPE,
                ViolationType.TIMEOUT)));
        t.accept(anEvent("run-9", "ws-a", 2, anEvaluation(true, true)));
        t.accept(anEvent("run-9", "ws-a", 3, closed(2_000)));
        t.accept(anEvent("run-9", "ws-b", 0, created("fix-median")));
        t.accept(anEvent("run-9", "ws-b", 1, anAction(ActionType.TEST_RUN, true, 50)));
        t.accept(anEvent("run-9", "ws-b", 2, anEvaluation(false, false)));
        t.accept(anEvent("run-9", "ws-b", 3, closed(7_500)));

        String text = print(t, Duration.ofSeconds(12), true);

        assertThat(text).contains("simulations                2 (2 completed, 0 failed or rejected, 0 unfinished)")
                .contains("evaluations passed         1 / 2 (50.0%)")
                .contains("resolved (SWE-bench)       1 / 2 (50.0%)")
                .contains("actions succeeded          3 / 4 (75.0%)")
                .contains("  TERMINAL_COMMAND         1 / 2 (50.0%)")
                .contains("  FILE_EDIT                1 / 1 (100.0%)")
                .contains("action time p50/p95/p99    50 / 300 / 300 ms")
                .contains("security violations        3")
                .contains("  TIMEOUT                  2")
                .contains("  PATH_ESCAPE              1")
                .contains("wall time                  12.0 s")
                .doesNotContain("unfinished:");
        assertThat(text.indexOf("fix-median")).as("slowest first").isLessThan(text.indexOf("fix-fib"));
        assertThat(text).containsPattern("fix-median\\s+1\\s+7\\.5 s\\s+7\\.5 s");
    }

    @Test
    void anUnfinishedRunNamesWhatIsMissing() {
        RunTracker t = RunTracker.open("run-9");
        t.expect("ws-a", 0, "t");
        t.expect("ws-a", 1, null);
        t.accept(anEvent("run-9", "ws-a", 0, created("t")));

        String text = print(t, null, false);

        assertThat(text).contains("1 unfinished").contains("unfinished: 1 simulations, e.g. [ws-a]")
                .contains("resolved (SWE-bench)       -").doesNotContain("wall time");
    }

    private static String print(RunTracker t, Duration wall, boolean finished) {
        var bytes = new ByteArrayOutputStream();
        RunSummary.print(t, wall, finished, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
