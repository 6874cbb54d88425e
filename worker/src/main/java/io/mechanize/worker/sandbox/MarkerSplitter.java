package io.mechanize.worker.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * Splits one output stream of a long-lived shell at end-of-command markers
 * ({@code \036ID payload\036}, optionally followed by a newline). Bytes before the marker go to
 * the sink; the marker's payload is returned once. The marker may arrive split over any
 * number of chunks. Bytes after a marker stay for the next command. Not thread-safe.
 */
final class MarkerSplitter {
    static final byte RS = 0x1e;

    private byte[] pending = new byte[0];
    private byte[] start;

    /** From now on, look for the marker of command {@code id}; null: pass everything through. */
    void expect(String id) {
        this.start = id == null ? null : (((char) RS) + id).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param sink receives (bytes, length) of the command's own output
     * @return the marker's payload (text between the id and the closing RS) once it is complete,
     *     else null
     */
    String feed(byte[] chunk, BiConsumer<byte[], Integer> sink) {
        byte[] all = Arrays.copyOf(pending, pending.length + chunk.length);
        System.arraycopy(chunk, 0, all, pending.length, chunk.length);
        pending = all;
        if (start == null) {
            flush(pending.length, sink);
            return null;
        }
        int at = indexOf(pending, start, 0);
        if (at < 0) {
            flush(safePrefix(), sink);
            return null;
        }
        int end = indexOf(pending, new byte[] {RS}, at + start.length);
        flush(at, sink);
        if (end < 0) {
            return null;
        }
        int markerEnd = end - at;
        String payload = new String(pending, start.length, markerEnd - start.length, StandardCharsets.UTF_8);
        int rest = markerEnd + 1;
        if (rest < pending.length && pending[rest] == '\n') {
            rest++;
        }
        pending = Arrays.copyOfRange(pending, rest, pending.length);
        start = null;
        return payload;
    }

    /** How many pending bytes surely are not the beginning of a marker. */
    private int safePrefix() {
        int from = Math.max(0, pending.length - start.length + 1);
        for (int i = from; i < pending.length; i++) {
            if (pending[i] == RS) {
                return i;
            }
        }
        return pending.length;
    }

    private void flush(int count, BiConsumer<byte[], Integer> sink) {
        if (count > 0) {
            sink.accept(pending, count);
            pending = Arrays.copyOfRange(pending, count, pending.length);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
