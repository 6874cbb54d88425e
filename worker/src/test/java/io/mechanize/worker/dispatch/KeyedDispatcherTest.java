package io.mechanize.worker.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class KeyedDispatcherTest {
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final KeyedDispatcher dispatcher = new KeyedDispatcher(executor);

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void runsOneKeysTasksOneAtATimeInOrder() throws Exception {
        List<Integer> seen = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(50);
        for (int i = 0; i < 50; i++) {
            int n = i;
            dispatcher.submit("ws-1", () -> {
                seen.add(n);
                done.countDown();
            });
        }
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50).boxed().toList());
    }

    @Test
    void aSlowKeyDoesNotHoldBackAnother() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch otherRan = new CountDownLatch(1);
        dispatcher.submit("slow", () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        dispatcher.submit("fast", otherRan::countDown);

        assertThat(otherRan.await(5, TimeUnit.SECONDS)).isTrue();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> dispatcher.inFlight() == 1); // the fast task is done, the slow one still runs
        release.countDown();
    }

    @Test
    void countsTasksInFlightUntilTheyFinish() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(2);
        for (String key : List.of("a", "a")) {
            dispatcher.submit(key, () -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                finished.countDown();
            });
        }
        assertThat(dispatcher.inFlight()).isEqualTo(2);
        assertThat(dispatcher.activeKeys()).isEqualTo(1);
        release.countDown();
        assertThat(finished.await(5, TimeUnit.SECONDS)).isTrue();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> dispatcher.inFlight() == 0 && dispatcher.activeKeys() == 0);
    }

    @Test
    void aFailingTaskDoesNotStopItsLane() throws Exception {
        CountDownLatch after = new CountDownLatch(1);
        dispatcher.submit("k", () -> {
            throw new IllegalStateException("boom");
        });
        dispatcher.submit("k", after::countDown);
        assertThat(after.await(5, TimeUnit.SECONDS)).isTrue();
    }
}
