package io.mechanize.worker.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Collects a byte stream but keeps at most {@code maxBytes} of it: the first half and the last
 * half, so that both how a command started and how it ended survive an output flood. Memory
 * grows with what arrives, not with the cap: hundreds of commands run at once with a cap of
 * megabytes each and most print a line. Not thread-safe; one stream per buffer.
 */
public final class HeadTailBuffer {
    private static final int INITIAL_BYTES = 256;
    private static final byte[] NONE = new byte[0];

    private final int headCapacity;
    private final int tailCapacity;
    private byte[] head = NONE;
    private int headSize;
    /** Allocated when the head is full: only an output flood pays for it. */
    private byte[] tail = NONE;
    private int tailStart;
    private int tailSize;
    private long totalBytes;

    public HeadTailBuffer(int maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0, was " + maxBytes);
        }
        this.headCapacity = maxBytes - maxBytes / 2;
        this.tailCapacity = maxBytes / 2;
    }

    public void write(byte[] bytes) {
        write(bytes, 0, bytes.length);
    }

    public void write(byte[] bytes, int offset, int length) {
        totalBytes += length;
        int toHead = Math.min(length, headCapacity - headSize);
        if (headSize + toHead > head.length) {
            head = Arrays.copyOf(head, Math.min(headCapacity, Math.max(INITIAL_BYTES,
                    Math.max(headSize + toHead, head.length * 2))));
        }
        System.arraycopy(bytes, offset, head, headSize, toHead);
        headSize += toHead;
        if (toHead < length && tail.length < tailCapacity) {
            tail = new byte[tailCapacity];
        }
        for (int i = offset + toHead; i < offset + length && tail.length > 0; i++) {
            tail[(tailStart + tailSize) % tail.length] = bytes[i];
            if (tailSize < tail.length) {
                tailSize++;
            } else {
                tailStart = (tailStart + 1) % tail.length;
            }
        }
    }

    public long totalBytes() {
        return totalBytes;
    }

    public boolean truncated() {
        return totalBytes > headSize + tailSize;
    }

    /** What was kept, as UTF-8; when bytes were dropped, a marker line says how many. */
    public CappedOutput toOutput() {
        byte[] tailBytes = new byte[tailSize];
        for (int i = 0; i < tailSize; i++) {
            tailBytes[i] = tail[(tailStart + i) % tail.length];
        }
        String headText = new String(head, 0, headSize, StandardCharsets.UTF_8);
        String tailText = new String(tailBytes, StandardCharsets.UTF_8);
        if (!truncated()) {
            return new CappedOutput(headText + tailText, totalBytes, false);
        }
        long dropped = totalBytes - headSize - tailSize;
        String marker = "\n[... " + dropped + " bytes truncated ...]\n";
        return new CappedOutput(headText + marker + tailText, totalBytes, true);
    }
}
