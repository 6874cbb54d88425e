package io.mechanize.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WorkerCommandTest {

    @Test
    void theWatchWaitsThroughInputAndActsOnlyAtItsEnd() throws Exception {
        PipedOutputStream supervisor = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(supervisor);
        CountDownLatch ended = new CountDownLatch(1);

        Thread watch = WorkerCommand.watchForEnd(stdin, ended::countDown);
        supervisor.write("anything a supervisor happens to write\n".getBytes());
        supervisor.flush();

        assertThat(ended.await(300, TimeUnit.MILLISECONDS)).as("not before the end").isFalse();
        assertThat(watch.isDaemon()).as("it never keeps the JVM alive").isTrue();
        supervisor.close();
        assertThat(ended.await(10, TimeUnit.SECONDS)).as("at the end").isTrue();
    }

    @Test
    void anInputThatFailsCountsAsEnded() throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("Stream closed");
            }
        };

        WorkerCommand.watchForEnd(broken, ended::countDown);

        assertThat(ended.await(10, TimeUnit.SECONDS)).isTrue();
    }
}
