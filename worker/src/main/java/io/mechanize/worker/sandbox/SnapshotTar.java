package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Builds, in memory, the POSIX tar that places an inline snapshot into {@code /workspace} in one
 * operation. Paths longer than ustar allows, or not ASCII, get a PAX {@code path} record.
 */
public final class SnapshotTar {
    private static final int BLOCK = 512;
    private static final int FILE_MODE = 0644;

    private SnapshotTar() {}

    /**
     * @param files relative path to content; parent directories are created by the extraction
     * @param mtimeEpochSeconds the modification time every entry gets
     * @throws IllegalArgumentException naming the first path that is absolute, empty or climbs
     *     out with {@code ..}
     */
    public static byte[] of(Map<String, byte[]> files, long mtimeEpochSeconds) {
        requireNonNull(files, "files is null");
        SortedMap<String, byte[]> sorted = new TreeMap<>();
        files.forEach((path, content) -> sorted.put(normalize(path), requireNonNull(content, "content of " + path)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : sorted.entrySet()) {
            writeEntry(out, e.getKey(), e.getValue(), mtimeEpochSeconds);
        }
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    /** {@code a//b/./c} to {@code a/b/c}; refuses what would leave the directory. */
    static String normalize(String path) {
        requireNonNull(path, "path is null");
        if (path.startsWith("/")) {
            throw new IllegalArgumentException("snapshot path '" + path + "' is absolute: paths are relative to /workspace");
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("snapshot path '" + path.replace('\0', '?') + "' contains a NUL byte");
        }
        StringBuilder normal = new StringBuilder();
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw new IllegalArgumentException("snapshot path '" + path + "' contains '..': it would leave /workspace");
            }
            if (!normal.isEmpty()) {
                normal.append('/');
            }
            normal.append(segment);
        }
        if (normal.isEmpty()) {
            throw new IllegalArgumentException("snapshot path '" + path + "' names no file");
        }
        return normal.toString();
    }

    private static void writeEntry(ByteArrayOutputStream out, String path, byte[] content, long mtime) {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        boolean needsPax = name.length > 100 || name.length != path.length();
        if (needsPax) {
            byte[] record = paxRecord("path", path);
            out.writeBytes(header("PaxHeaders/entry", record.length, mtime, 'x'));
            writePadded(out, record);
        }
        out.writeBytes(header(needsPax ? asciiFallback(path) : path, content.length, mtime, '0'));
        writePadded(out, content);
    }

    private static String asciiFallback(String path) {
        String ascii = path.replaceAll("[^\\x20-\\x7e]", "_");
        return ascii.length() > 100 ? ascii.substring(ascii.length() - 100) : ascii;
    }

    /** "LEN key=value\n" where LEN counts the whole record, its own digits included. */
    static byte[] paxRecord(String key, String value) {
        int body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) {
            len++;
        }
        return (len + " " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] header(String name, long size, long mtime, char type) {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, name.getBytes(StandardCharsets.US_ASCII));
        putOctal(h, 100, 8, FILE_MODE);
        putOctal(h, 108, 8, 1000);
        putOctal(h, 116, 8, 1000);
        putOctal(h, 124, 12, size);
        putOctal(h, 136, 12, mtime);
        h[156] = (byte) type;
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        put(h, 265, 32, "agent".getBytes(StandardCharsets.US_ASCII));
        put(h, 297, 32, "agent".getBytes(StandardCharsets.US_ASCII));
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        put(h, 148, 8, checksum);
        return h;
    }

    private static void putOctal(byte[] h, int offset, int width, long value) {
        String octal = Long.toOctalString(value);
        if (octal.length() > width - 1) {
            throw new IllegalArgumentException("value " + value + " does not fit a tar header field of " + width + " bytes");
        }
        String padded = "0".repeat(width - 1 - octal.length()) + octal;
        put(h, offset, width, (padded + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    private static void put(byte[] h, int offset, int width, byte[] value) {
        System.arraycopy(value, 0, h, offset, Math.min(width, value.length));
    }

    private static void writePadded(ByteArrayOutputStream out, byte[] data) {
        out.writeBytes(data);
        int rest = data.length % BLOCK;
        if (rest != 0) {
            out.writeBytes(new byte[BLOCK - rest]);
        }
    }

    /**
     * How many regular files a tar holds outside {@code .git}, read from its headers (commons-
     * compress: ustar, PAX and GNU long names), so that placing it needs no count in the container.
     *
     * @param stripComponents leading path segments the extraction drops
     * @return the count, or -1 when the bytes are not a tar this reader understands
     */
    public static int countFiles(byte[] tar, boolean gzip, int stripComponents) {
        try (InputStream raw = gzip ? new GZIPInputStream(new ByteArrayInputStream(tar)) : new ByteArrayInputStream(tar);
                InputStream in = new BufferedInputStream(raw)) {
            in.mark(BLOCK);
            byte[] first = in.readNBytes(BLOCK);
            in.reset();
            if (first.length < BLOCK || !allZero(first) && !TarArchiveInputStream.matches(first, first.length)) {
                return -1;
            }
            int files = 0;
            try (TarArchiveInputStream entries = new TarArchiveInputStream(in)) {
                for (TarArchiveEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
                    if (e.isFile() && !inGit(e.getName(), stripComponents)) {
                        files++;
                    }
                }
            }
            return files;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether {@code tar} holds no entry at all (an uncompressed tar of zero blocks only). */
    public static boolean isEmpty(byte[] tar) {
        return tar.length >= 2 * BLOCK && allZero(tar);
    }

    private static boolean allZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean inGit(String name, int stripComponents) {
        String[] segments = name.split("/");
        for (int i = stripComponents; i < segments.length; i++) {
            if (segments[i].equals(".git")) {
                return true;
            }
        }
        return false;
    }
}
