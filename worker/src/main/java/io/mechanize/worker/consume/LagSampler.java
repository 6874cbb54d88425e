package io.mechanize.worker.consume;

import io.mechanize.worker.observe.FleetMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Samples, on the polling thread, how far each assigned partition's position is behind its end
 * ({@link Consumer#currentLag}: from the last fetch, no request to the broker), at most once per
 * {@link #INTERVAL}. Commands polled but still running count as consumed here; the group's
 * committed lag (what KEDA scales on) is larger by the commands in flight.
 */
final class LagSampler {
    static final Duration INTERVAL = Duration.ofSeconds(1);

    private final FleetMetrics metrics;
    private final Clock clock;
    private Instant next = Instant.MIN;

    LagSampler(FleetMetrics metrics, Clock clock) {
        this.metrics = metrics;
        this.clock = clock;
    }

    void sample(Consumer<?, ?> consumer) {
        Instant now = clock.instant();
        if (now.isBefore(next)) {
            return;
        }
        next = now.plus(INTERVAL);
        Map<Integer, Long> lag = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong behind = consumer.currentLag(tp);
            if (behind.isPresent()) {
                lag.put(tp.partition(), behind.getAsLong());
            }
        }
        metrics.recordConsumerLag(lag);
    }
}
