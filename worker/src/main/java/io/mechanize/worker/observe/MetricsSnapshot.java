package io.mechanize.worker.observe;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Snapshot;
import io.mechanize.schemas.avro.WorkerMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** Turns a worker's registry into the {@code WorkerMetrics} record published on {@code mechanize.metrics}. */
public final class MetricsSnapshot {
    private static final double NANOS_PER_MILLI = 1_000_000.0;

    private MetricsSnapshot() {}

    /**
     * The named fields from their metrics; {@code gauges} holds every numeric gauge and
     * {@code counters} every counter, meter and timer count, by Dropwizard name.
     */
    public static WorkerMetrics of(FleetMetrics metrics, String workerId, int capacity, Instant startedAt,
            Instant now) {
        var registry = metrics.registry();
        Map<String, Double> gauges = new TreeMap<>();
        registry.getGauges().forEach((name, gauge) -> {
            if (gauge.getValue() instanceof Number n && Double.isFinite(n.doubleValue())) {
                gauges.put(name, n.doubleValue());
            }
        });
        Map<String, Long> counters = new TreeMap<>();
        registry.getCounters().forEach((name, c) -> counters.put(name, c.getCount()));
        registry.getMeters().forEach((name, m) -> counters.put(name, m.getCount()));
        registry.getTimers().forEach((name, t) -> counters.put(name + ".count", ((Counting) t).getCount()));
        Snapshot actionTime = metrics.actionTime().getSnapshot();
        Number active = gauges.get(FleetMetrics.name("workspaces.active"));
        return WorkerMetrics.newBuilder()
                .setWorkerId(workerId)
                .setEmittedAt(now)
                .setUptimeMs(Math.max(0, Duration.between(startedAt, now).toMillis()))
                .setCapacity(capacity)
                .setActiveWorkspaces(active == null ? 0 : active.intValue())
                .setCommandsConsumed(metrics.commandsConsumed())
                .setCommandsRejected(metrics.rejected())
                .setActionsSucceeded(metrics.actions(true))
                .setActionsFailed(metrics.actions(false))
                .setActionTimeP50Ms(actionTime.getMedian() / NANOS_PER_MILLI)
                .setActionTimeP95Ms(actionTime.get95thPercentile() / NANOS_PER_MILLI)
                .setActionTimeP99Ms(actionTime.get99thPercentile() / NANOS_PER_MILLI)
                .setGauges(gauges)
                .setCounters(counters)
                .build();
    }
}
