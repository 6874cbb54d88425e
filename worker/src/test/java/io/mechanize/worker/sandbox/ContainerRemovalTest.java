package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.RemoveContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ContainerRemovalTest {
    private final CountDownLatch engineWakes = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();

    @AfterEach
    void releaseTheEngine() {
        engineWakes.countDown();
    }

    /** A client whose removeContainerCmd(...).exec() runs {@code answer} with the call's number. */
    private DockerClient engine(IntConsumer answer) {
        RemoveContainerCmd cmd = (RemoveContainerCmd) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RemoveContainerCmd.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "exec" -> {
                        answer.accept(calls.incrementAndGet());
                        yield null;
                    }
                    case "close" -> null;
                    default -> proxy; // withForce, withRemoveVolumes
                });
        return (DockerClient) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DockerClient.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("removeContainerCmd")) {
                        return cmd;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void anEngineThatNeverAnswersIsGivenUpOnInTimeAndNotAskedAgain() {
        DockerClient wedged = engine(n -> {
            try {
                engineWakes.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        assertThatThrownBy(() -> ContainerRemoval.remove(wedged, "c0ffee1234567890", Duration.ofMillis(300)))
                .isInstanceOf(EngineSilent.class)
                .hasMessageContaining("c0ffee1234567890")
                .hasMessageContaining("did not answer");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(calls).hasValue(1);
    }

    @Test
    void aRemovalAskedAgainWhileTheEngineHangsWaitsForTheFirstRequestAndCompletesWithIt() throws Exception {
        DockerClient wedged = engine(n -> {
            try {
                engineWakes.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int sweep = 0; sweep < 3; sweep++) {
            assertThatThrownBy(() -> ContainerRemoval.remove(wedged, "feed5678", Duration.ofMillis(100)))
                    .isInstanceOf(EngineSilent.class);
        }
        assertThat(calls).as("one request to the engine, however often asked").hasValue(1);

        engineWakes.countDown(); // the engine answers the one request at last: the removal is done
        // with it, or, once that request has left the table, by a request of its own
        assertThat(ContainerRemoval.remove(wedged, "feed5678", Duration.ofSeconds(5))).isTrue();
        assertThat(calls.get()).isBetween(1, 2);
    }

    @Test
    void aTransientFailureIsRetriedAndAnAnswerInTimeCounts() throws Exception {
        DockerClient flaky = engine(n -> {
            if (n == 1) {
                throw new DockerException("unable to remove filesystem: directory not empty", 500);
            }
        });
        assertThat(ContainerRemoval.remove(flaky, "abc", Duration.ofSeconds(10))).isTrue();
        assertThat(calls).hasValue(2);
    }

    @Test
    void aContainerAlreadyGoneIsNotAnError() throws Exception {
        DockerClient gone = engine(n -> {
            throw new NotFoundException("no such container");
        });
        assertThat(ContainerRemoval.remove(gone, "abc", Duration.ofSeconds(10))).isFalse();
    }
}
