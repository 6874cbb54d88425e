package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started, hardened, still anonymous containers, ready to become a workspace: at most
 * {@code sizePerKey} per key (image, limits, runtime, network: the {@link ContainerSpec} without
 * its labels), refilled in the background on virtual threads, for keys taken within the last
 * {@code keyTtl} or primed as a default.
 *
 * <p>Labels cannot change after create, so a pooled container carries the fleet's labels plus
 * {@value #LABEL_POOL}{@code =true} and its worker, but no workspace or run: the workspace's
 * identity is in its {@code WorkspaceCreated} event and the worker's log. The orphan sweep keeps
 * pooled containers its factory holds and removes those of a dead worker. A container leaves the
 * pool exactly once ({@link #take}) and is never given back: a container that served a workspace
 * is removed with it.
 */
public final class WarmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);
    public static final String LABEL_POOL = "mechanize.pool";
    /** Containers the pool starts at once: refills must not crowd out workspaces that wait. */
    private static final int MAX_CONCURRENT_STARTS = 4;
    /**
     * A refill starts this long after the last take at the earliest: a burst of takes places its
     * snapshots first, instead of competing for the engine and the CPU with the container starts
     * that refill behind it.
     */
    static final Duration REFILL_DELAY = Duration.ofMillis(200);
    /**
     * Nor while a container taken is still being placed ({@link #settled}), but a refill waits at
     * most this long for that: under a steady load some placement is always under way.
     */
    static final Duration MAX_REFILL_WAIT = Duration.ofSeconds(1);

    /** Starts and warms one pooled container (labels already set on the spec). */
    @FunctionalInterface
    interface Starter {
        SandboxContainer start(ContainerSpec spec) throws WorkspaceException;
    }

    private final int sizePerKey;
    private final Duration keyTtl;
    private final Map<String, String> poolLabels;
    private final Starter starter;
    private final Clock clock;
    private final ExecutorService refills = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("mechanize-pool-", 0).factory());
    private final Semaphore starts = new Semaphore(MAX_CONCURRENT_STARTS);
    private final Map<ContainerSpec, Slot> slots = new ConcurrentHashMap<>();
    /** Containers taken whose workspaces are not yet in place, over every key; guarded by {@link #quiet}. */
    private int placing;
    private final ReentrantLock quiet = new ReentrantLock();
    private final Condition settledOne = quiet.newCondition();
    private volatile boolean closed;

    /** The containers of one key: ready ones, and how many it holds, ready or on their way. */
    private static final class Slot {
        final ConcurrentLinkedDeque<SandboxContainer> ready = new ConcurrentLinkedDeque<>();
        /**
         * Ready plus starting, as one count: a refill that added two counts read at different
         * moments could see a container that just became ready twice and leave the key short.
         */
        final AtomicInteger held = new AtomicInteger();
        volatile Instant lastTaken;
        volatile long lastTakenNanos = System.nanoTime() - REFILL_DELAY.toNanos();
        volatile boolean primed;

        Slot(Instant now) {
            lastTaken = now;
        }
    }

    /**
     * @param sizePerKey containers kept ready per key (at least 1)
     * @param keyTtl a key not taken for this long is no longer refilled and its containers go
     * @param poolLabels the labels of every pooled container ({@value #LABEL_POOL} is added)
     */
    WarmPool(int sizePerKey, Duration keyTtl, Map<String, String> poolLabels, Starter starter, Clock clock) {
        if (sizePerKey < 1) {
            throw new IllegalArgumentException("sizePerKey must be at least 1, got " + sizePerKey);
        }
        this.sizePerKey = sizePerKey;
        this.keyTtl = requireNonNull(keyTtl, "keyTtl is null");
        var labels = new java.util.LinkedHashMap<>(requireNonNull(poolLabels, "poolLabels is null"));
        labels.put(LABEL_POOL, "true");
        this.poolLabels = Map.copyOf(labels);
        this.starter = requireNonNull(starter, "starter is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Keeps {@code spec}'s key filled from now on, whether taken or not (the fleet's usual image and limits). */
    void prime(ContainerSpec spec) {
        Slot slot = slots.computeIfAbsent(key(spec), k -> new Slot(clock.instant()));
        slot.primed = true;
        refill(key(spec), slot);
    }

    /**
     * A ready container for {@code spec}'s key, or null when none is ready (the caller starts one
     * itself). Either way the key counts as wanted and is refilled in the background.
     */
    SandboxContainer take(ContainerSpec spec) {
        ContainerSpec key = key(spec);
        Instant now = clock.instant();
        Slot slot = slots.computeIfAbsent(key, k -> new Slot(now));
        slot.lastTaken = now;
        slot.lastTakenNanos = System.nanoTime();
        SandboxContainer container = slot.ready.pollFirst();
        if (container != null) {
            slot.held.decrementAndGet();
            quiet.lock();
            try {
                placing++;
            } finally {
                quiet.unlock();
            }
        }
        refill(key, slot);
        evictStale(now);
        return container;
    }

    /**
     * The workspace of a container {@link #take} handed out is in place, or failed: one fewer
     * placement for the refills to wait for. Once per container taken.
     */
    void settled() {
        quiet.lock();
        try {
            placing = Math.max(0, placing - 1);
            settledOne.signalAll();
        } finally {
            quiet.unlock();
        }
    }

    /** Containers ready now, over every key. */
    public int ready() {
        return slots.values().stream().mapToInt(s -> s.ready.size()).sum();
    }

    private static ContainerSpec key(ContainerSpec spec) {
        return spec.withLabels(Map.of());
    }

    private void refill(ContainerSpec key, Slot slot) {
        while (!closed) {
            int held = slot.held.get();
            if (held >= sizePerKey) {
                return;
            }
            if (!slot.held.compareAndSet(held, held + 1)) {
                continue;
            }
            try {
                refills.execute(() -> startOne(key, slot));
            } catch (RejectedExecutionException e) {
                slot.held.decrementAndGet();
                return;
            }
        }
    }

    private void startOne(ContainerSpec key, Slot slot) {
        SandboxContainer container = null;
        try {
            awaitQuiet(slot);
            starts.acquire();
            try {
                if (!closed) {
                    container = starter.start(key.withLabels(poolLabels));
                }
            } finally {
                starts.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (WorkspaceException | RuntimeException e) {
            log.warn("a pooled container for {} could not start: {}", key.image(), e.getMessage());
        }
        if (container != null && !closed && slots.get(key) == slot) {
            slot.ready.addLast(container); // already counted in held since the refill reserved it
        } else {
            slot.held.decrementAndGet();
            if (container != null) {
                container.close();
            }
        }
        if (closed) {
            drain(slot);
        }
    }

    /**
     * Until {@link #REFILL_DELAY} after the key's last take and no placement under way, or
     * {@link #MAX_REFILL_WAIT} at most: a burst of creations gets the CPU and the engine first.
     */
    private void awaitQuiet(Slot slot) throws InterruptedException {
        long giveUp = System.nanoTime() + MAX_REFILL_WAIT.toNanos();
        quiet.lock();
        try {
            while (!closed) {
                long now = System.nanoTime();
                long wait = placing > 0 ? giveUp - now
                        : Math.min(slot.lastTakenNanos + REFILL_DELAY.toNanos() - now, giveUp - now);
                if (wait <= 0) {
                    return;
                }
                settledOne.awaitNanos(wait);
            }
        } finally {
            quiet.unlock();
        }
    }

    private void evictStale(Instant now) {
        for (var e : slots.entrySet()) {
            Slot slot = e.getValue();
            if (!slot.primed && Duration.between(slot.lastTaken, now).compareTo(keyTtl) > 0
                    && slots.remove(e.getKey(), slot)) {
                log.info("pool key {} unused for {}: removing its {} containers", e.getKey().image(), keyTtl,
                        slot.ready.size());
                drain(slot);
            }
        }
    }

    private static void drain(Slot slot) {
        List<SandboxContainer> idle = new ArrayList<>();
        for (SandboxContainer c; (c = slot.ready.pollFirst()) != null; ) {
            slot.held.decrementAndGet();
            idle.add(c);
        }
        idle.forEach(SandboxContainer::close);
    }

    /** Stops refilling and removes every idle container; one on its way is removed when it arrives. */
    @Override
    public void close() {
        closed = true;
        quiet.lock();
        try {
            settledOne.signalAll(); // refills waiting for a quiet moment give up now
        } finally {
            quiet.unlock();
        }
        // no interrupt: a start cut off mid-request leaves a container the engine made and nobody
        // knows; let the starts in flight finish (each sees `closed` and removes its container)
        refills.shutdown();
        try {
            if (!refills.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
                refills.shutdownNow();
                log.warn("pooled containers still starting after 30 s; the factory removes them on close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        slots.values().forEach(WarmPool::drain);
    }
}
