package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stdin a session's stream pump takes its bytes from. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class QueueInputStreamTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void nextGivesEachChunkWholeInOrderAndNullOnceClosed() throws Exception {
        QueueInputStream in = new QueueInputStream();
        in.offer(bytes("first"));
        in.offer(new byte[0]); // nothing to send: not a chunk
        in.offer(bytes("second"));
        in.close();
        assertThat(in.next()).isEqualTo(bytes("first"));
        assertThat(in.next()).isEqualTo(bytes("second"));
        assertThat(in.next()).isNull();
        assertThat(in.next()).isNull();
    }

    @Test
    void nextGivesWhatAReadLeftOfAChunk() throws Exception {
        QueueInputStream in = new QueueInputStream();
        in.offer(bytes("abcdef"));
        byte[] two = new byte[2];
        assertThat(in.read(two, 0, 2)).isEqualTo(2);
        assertThat(in.next()).isEqualTo(bytes("cdef"));
    }

    @Test
    void nextWaitsForBytesOfferedLaterAndKeepsNoReferenceToTheCallersArray() throws Exception {
        QueueInputStream in = new QueueInputStream();
        CompletableFuture<byte[]> taken = CompletableFuture.supplyAsync(() -> {
            try {
                return in.next();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(taken).isNotDone();
        byte[] offered = bytes("late");
        in.offer(offered);
        offered[0] = 'X'; // the caller reuses its array
        assertThat(taken.get(5, TimeUnit.SECONDS)).isEqualTo(bytes("late"));
    }
}
