package io.mechanize.benchmarks;

import io.mechanize.worker.dispatch.KeyedDispatcher;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The worker's key-ordered dispatcher on virtual threads, as the worker builds it: the cost of
 * submitting a task and running it to its end, spread over {@code keys} workspaces.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class DispatcherBench {
    private static final int TASKS = 10_000;

    /** Distinct keys (workspaces) the tasks are spread over; 1: everything in one lane. */
    @Param({"1", "100", "10000"})
    int keys;

    private ExecutorService lanes;
    private KeyedDispatcher dispatcher;
    private String[] names;

    @Setup
    public void setUp() {
        lanes = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("bench-lane-", 0).factory());
        dispatcher = new KeyedDispatcher(lanes);
        names = new String[keys];
        for (int i = 0; i < keys; i++) {
            names[i] = "ws-" + i;
        }
    }

    @TearDown
    public void tearDown() {
        lanes.shutdownNow();
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void submitAndRun() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(TASKS);
        for (int i = 0; i < TASKS; i++) {
            dispatcher.submit(names[i % keys], done::countDown);
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("tasks did not finish");
        }
    }
}
