package io.mechanize.worker.sandbox;

import java.io.InputStream;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The stdin of a long-lived exec: blocks until bytes are offered, ends at {@link #close()}.
 * (A {@code PipedInputStream} fails once the thread that last wrote has ended, and the worker
 * writes from short-lived virtual threads.)
 */
final class QueueInputStream extends InputStream {
    private static final byte[] EOF = new byte[0];
    private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private byte[] current = new byte[0];
    private int position;
    private boolean ended;

    void offer(byte[] bytes) {
        if (bytes.length > 0) {
            queue.add(bytes.clone());
        }
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] buffer, int offset, int length) {
        if (length == 0) {
            return 0;
        }
        while (!ended && position == current.length) {
            try {
                current = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
            position = 0;
            ended = current == EOF;
        }
        if (ended) {
            return -1;
        }
        int n = Math.min(length, current.length - position);
        System.arraycopy(current, position, buffer, offset, n);
        position += n;
        return n;
    }

    /**
     * The next bytes offered (what is left of a chunk a read began, else the next chunk),
     * waiting for them; null once closed. For a single reader that writes them on as they come,
     * with no buffer of its own.
     */
    synchronized byte[] next() throws InterruptedException {
        if (!ended && position < current.length) {
            byte[] rest = java.util.Arrays.copyOfRange(current, position, current.length);
            position = current.length;
            return rest;
        }
        while (!ended) {
            current = queue.take();
            position = current.length;
            ended = current == EOF;
            if (!ended && current.length > 0) {
                return current;
            }
        }
        return null;
    }

    @Override
    public void close() {
        queue.add(EOF);
    }
}
