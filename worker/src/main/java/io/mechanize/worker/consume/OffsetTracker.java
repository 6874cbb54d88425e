package io.mechanize.worker.consume;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets of each partition may be committed. Commands of different workspaces finish out
 * of order, so a partition's committable offset is the lowest offset not yet finished (or one
 * past the highest seen when all are done). Used by the polling thread only.
 */
public final class OffsetTracker {
    private final Map<TopicPartition, TreeSet<Long>> pending = new HashMap<>();
    private final Map<TopicPartition, Long> nextAfterSeen = new HashMap<>();
    private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();

    public void started(TopicPartition tp, long offset) {
        pending.computeIfAbsent(tp, k -> new TreeSet<>()).add(offset);
        nextAfterSeen.merge(tp, offset + 1, Math::max);
    }

    public void finished(TopicPartition tp, long offset) {
        TreeSet<Long> set = pending.get(tp);
        if (set != null) {
            set.remove(offset);
        }
    }

    /** Offsets to commit now: only partitions whose committable offset moved since the last call. */
    public Map<TopicPartition, OffsetAndMetadata> committable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        nextAfterSeen.forEach((tp, next) -> {
            TreeSet<Long> set = pending.get(tp);
            long offset = set == null || set.isEmpty() ? next : set.first();
            Long previous = lastCommitted.get(tp);
            if (previous == null || offset > previous) {
                out.put(tp, new OffsetAndMetadata(offset));
            }
        });
        return out;
    }

    /** The offset that may be committed for {@code tp} now (moved or not), or null for a partition not seen. */
    public Long current(TopicPartition tp) {
        Long next = nextAfterSeen.get(tp);
        if (next == null) {
            return null;
        }
        TreeSet<Long> set = pending.get(tp);
        return set == null || set.isEmpty() ? next : set.first();
    }

    /** Records that {@code offsets} were committed (in a transaction that succeeded). */
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, om) -> lastCommitted.merge(tp, om.offset(), Math::max));
    }

    public int pendingIn(TopicPartition tp) {
        TreeSet<Long> set = pending.get(tp);
        return set == null ? 0 : set.size();
    }

    public boolean isPending(TopicPartition tp, long offset) {
        TreeSet<Long> set = pending.get(tp);
        return set != null && set.contains(offset);
    }

    /** Forgets a partition this worker no longer owns. */
    public void forget(TopicPartition tp) {
        pending.remove(tp);
        nextAfterSeen.remove(tp);
        lastCommitted.remove(tp);
    }
}
