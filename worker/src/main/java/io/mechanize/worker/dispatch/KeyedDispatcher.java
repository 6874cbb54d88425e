package io.mechanize.worker.dispatch;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time per key, in submission order, and tasks of different keys
 * concurrently. Each key has a lane: a queue drained by one task of the executor (a virtual
 * thread in the worker), which ends when the lane is empty, so an idle key costs nothing.
 *
 * <p>This is what lets many workspaces share one partition without waiting for one another,
 * while each workspace sees its commands strictly in {@code seq} order.
 */
public final class KeyedDispatcher {
    private static final Logger log = LoggerFactory.getLogger(KeyedDispatcher.class);

    private final Executor executor;
    private final Map<String, ArrayDeque<Runnable>> lanes = new HashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    public KeyedDispatcher(Executor executor) {
        this.executor = executor;
    }

    /** Queues {@code task} behind every earlier task of {@code key}. */
    public void submit(String key, Runnable task) {
        inFlight.incrementAndGet();
        boolean startLane;
        synchronized (lanes) {
            ArrayDeque<Runnable> lane = lanes.get(key);
            startLane = lane == null;
            if (startLane) {
                lane = new ArrayDeque<>();
                lanes.put(key, lane);
            }
            lane.addLast(task);
        }
        if (startLane) {
            executor.execute(() -> drain(key));
        }
    }

    private void drain(String key) {
        while (true) {
            Runnable next;
            synchronized (lanes) {
                ArrayDeque<Runnable> lane = lanes.get(key);
                next = lane.peekFirst();
                if (next == null) {
                    lanes.remove(key);
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException | Error e) {
                log.error("task of key {} failed unexpectedly", key, e);
            } finally {
                synchronized (lanes) {
                    lanes.get(key).pollFirst();
                }
                inFlight.decrementAndGet();
            }
        }
    }

    /** Tasks submitted and not yet finished, over all keys. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Keys with at least one task queued or running. */
    public int activeKeys() {
        synchronized (lanes) {
            return lanes.size();
        }
    }
}
