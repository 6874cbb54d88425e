package io.mechanize.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {
    private static final TopicPartition P0 = new TopicPartition("mechanize.commands", 0);
    private static final TopicPartition P1 = new TopicPartition("mechanize.commands", 1);

    @Test
    void commitsUpToTheLowestUnfinishedOffset() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(P0, 10);
        tracker.started(P0, 11);
        tracker.started(P0, 12);
        tracker.finished(P0, 11);
        tracker.finished(P0, 12);

        assertThat(tracker.committable()).containsEntry(P0, new OffsetAndMetadata(10));

        tracker.finished(P0, 10);
        assertThat(tracker.committable()).containsEntry(P0, new OffsetAndMetadata(13));
    }

    @Test
    void offersOnlyPartitionsWhoseOffsetMovedSinceTheLastCommit() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(P0, 0);
        tracker.started(P1, 5);
        tracker.finished(P0, 0);
        var first = tracker.committable();
        tracker.committed(first);

        assertThat(tracker.committable()).isEmpty();
        tracker.finished(P1, 5);
        assertThat(tracker.committable()).containsOnlyKeys(P1).containsEntry(P1, new OffsetAndMetadata(6));
    }

    @Test
    void forgetsARevokedPartition() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.started(P0, 3);
        tracker.forget(P0);

        assertThat(tracker.isPending(P0, 3)).isFalse();
        assertThat(tracker.committable()).isEmpty();
    }

    @Test
    void theCurrentOffsetIsKnownEvenWhenItHasNotMoved() {
        OffsetTracker tracker = new OffsetTracker();
        assertThat(tracker.current(P0)).isNull();
        tracker.started(P0, 5);
        tracker.started(P0, 10);
        tracker.finished(P0, 10);
        tracker.committed(tracker.committable());

        assertThat(tracker.committable()).as("nothing moved").doesNotContainKey(P0);
        assertThat(tracker.current(P0)).as("but a transaction with a result of P0 still commits it").isEqualTo(5);
    }
}
