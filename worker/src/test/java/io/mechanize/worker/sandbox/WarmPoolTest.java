package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WarmPoolTest {
    private static final ContainerSpec SPEC = new ContainerSpec("img", Map.of("mechanize.workspace", "ws-1"),
            512L << 20, 1_000_000_000L, 256, 512L << 20, 128L << 20, null, "none", Map.of());

    private final AtomicInteger counter = new AtomicInteger();
    private final List<FakeContainer> started = new CopyOnWriteArrayList<>();
    private final List<ContainerSpec> specs = new CopyOnWriteArrayList<>();

    private WarmPool pool(int size, Clock clock) {
        return new WarmPool(size, Duration.ofMinutes(10), Map.of("mechanize.group", "g"), spec -> {
            specs.add(spec);
            FakeContainer c = new FakeContainer("c" + counter.incrementAndGet());
            started.add(c);
            return c;
        }, clock);
    }

    @Test
    void aMissReturnsNothingAndFillsTheKeyUpToItsSize() {
        try (WarmPool pool = pool(3, Clock.systemUTC())) {
            assertThat(pool.take(SPEC)).isNull();
            awaitReady(pool, 3);
            assertThat(started).hasSize(3);
        }
    }

    @Test
    void pooledContainersCarryThePoolLabelsAndNoWorkspaceIdentity() {
        try (WarmPool pool = pool(1, Clock.systemUTC())) {
            pool.prime(SPEC);
            awaitReady(pool, 1);
            assertThat(specs.getFirst().labels())
                    .containsEntry(WarmPool.LABEL_POOL, "true")
                    .containsEntry("mechanize.group", "g")
                    .doesNotContainKey("mechanize.workspace");
        }
    }

    @Test
    void refillsRacingTheStartsTheyCausedLeaveTheKeyFullWithNothingStartedTwice() throws Exception {
        // the refills of two takes start while other threads keep asking for refills: a
        // container that just became ready must be counted once (or the key stays short until
        // the next take) and no more containers than taken may be started to make up for them
        for (int round = 0; round < 5; round++) {
            started.clear();
            try (WarmPool pool = pool(4, Clock.systemUTC())) {
                pool.prime(SPEC);
                awaitReady(pool, 4);
                for (int i = 0; i < 2; i++) {
                    assertThat(pool.take(SPEC)).isNotNull();
                    pool.settled();
                }
                long until = System.nanoTime() + WarmPool.REFILL_DELAY.multipliedBy(2).toNanos();
                List<Thread> primers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    primers.add(Thread.ofPlatform().start(() -> {
                        while (System.nanoTime() < until) {
                            pool.prime(SPEC);
                        }
                    }));
                }
                for (Thread t : primers) {
                    t.join();
                }
                awaitReady(pool, 4);
                assertThat(started).as("round %d", round).hasSize(6).noneMatch(c -> c.closed);
            }
        }
    }

    @Test
    void aContainerIsHandedOutOnceAndNeverComesBack() {
        try (WarmPool pool = pool(2, Clock.systemUTC())) {
            pool.prime(SPEC);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                awaitReady(pool, 2);
                SandboxContainer c = pool.take(SPEC);
                assertThat(c).isNotNull();
                pool.settled();
                assertThat(seen.add(c.id())).as("container %s handed out twice", c.id()).isTrue();
            }
        }
    }

    @Test
    void aRefillWaitsWhileATakenContainerIsBeingPlaced() throws Exception {
        try (WarmPool pool = pool(1, Clock.systemUTC())) {
            pool.prime(SPEC);
            awaitReady(pool, 1);
            assertThat(pool.take(SPEC)).isNotNull();

            Thread.sleep(WarmPool.REFILL_DELAY.multipliedBy(3).toMillis());
            assertThat(started).as("no refill while the workspace is being placed").hasSize(1);

            pool.settled();
            awaitReady(pool, 1);
            assertThat(started).hasSize(2);
        }
    }

    @Test
    void aPlacementThatNeverSettlesDelaysTheRefillOnlySoLong() {
        try (WarmPool pool = pool(1, Clock.systemUTC())) {
            pool.prime(SPEC);
            awaitReady(pool, 1);
            long taken = System.nanoTime();
            assertThat(pool.take(SPEC)).isNotNull();

            await().atMost(WarmPool.MAX_REFILL_WAIT.plusSeconds(5)).until(() -> pool.ready() == 1);
            assertThat(Duration.ofNanos(System.nanoTime() - taken)).isGreaterThanOrEqualTo(WarmPool.MAX_REFILL_WAIT);
            assertThat(started).hasSize(2);
        }
    }

    @Test
    void anotherImageOrLimitIsAnotherKey() {
        try (WarmPool pool = pool(1, Clock.systemUTC())) {
            pool.prime(SPEC);
            awaitReady(pool, 1);
            ContainerSpec bigger = new ContainerSpec("img", Map.of(), 1024L << 20, 1_000_000_000L, 256, 512L << 20,
                    128L << 20, null, "none", Map.of());
            assertThat(pool.take(bigger)).isNull();
            assertThat(pool.take(SPEC.withLabels(Map.of("mechanize.workspace", "other")))).isNotNull();
        }
    }

    @Test
    void aKeyNobodyTakesAnyMoreIsEmptiedButAPrimedOneStays() {
        MutableClock clock = new MutableClock();
        try (WarmPool pool = pool(1, clock)) {
            ContainerSpec other = new ContainerSpec("other", Map.of(), 64L << 20, 1_000_000_000L, 64, 64L << 20,
                    64L << 20, null, "none", Map.of());
            pool.prime(SPEC);
            pool.take(other);
            awaitReady(pool, 2);
            clock.now = clock.now.plus(Duration.ofMinutes(11));
            pool.take(SPEC);
            assertThat(started.stream().filter(c -> c.closed).count()).isEqualTo(1);
        }
    }

    @Test
    void closeRemovesEveryIdleContainer() {
        WarmPool pool = pool(3, Clock.systemUTC());
        pool.prime(SPEC);
        awaitReady(pool, 3);
        pool.close();
        assertThat(started).allMatch(c -> c.closed);
        assertThat(pool.take(SPEC)).isNull();
    }

    private static void awaitReady(WarmPool pool, int containers) {
        await().atMost(Duration.ofSeconds(5)).until(() -> pool.ready() == containers);
    }

    private static final class MutableClock extends Clock {
        volatile Instant now = Instant.parse("2025-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static final class FakeContainer implements SandboxContainer {
        private final String id;
        volatile boolean closed;

        FakeContainer(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout,
                int maxOutputBytes) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
