package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class SnapshotTarTest {

    @Test
    void normalizesRelativePaths() {
        assertThat(SnapshotTar.normalize("a//b/./c.txt")).isEqualTo("a/b/c.txt");
        assertThat(SnapshotTar.normalize("./x")).isEqualTo("x");
    }

    @Test
    void refusesPathsThatLeaveTheWorkspace() {
        assertThatThrownBy(() -> SnapshotTar.normalize("/etc/passwd")).hasMessageContaining("is absolute");
        assertThatThrownBy(() -> SnapshotTar.normalize("a/../../x")).hasMessageContaining("contains '..'");
        assertThatThrownBy(() -> SnapshotTar.normalize("./")).hasMessageContaining("names no file");
    }

    @Test
    void writesUstarEntriesWithAValidChecksumAndTwoEndBlocks() {
        byte[] tar = SnapshotTar.of(Map.of("src/a.txt", "hi".getBytes(StandardCharsets.UTF_8)), 0);
        assertThat(tar).hasSize(512 + 512 + 1024);
        assertThat(new String(tar, 0, 9, StandardCharsets.US_ASCII)).isEqualTo("src/a.txt");
        assertThat(new String(tar, 257, 5, StandardCharsets.US_ASCII)).isEqualTo("ustar");
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : tar[i] & 0xff;
        }
        assertThat(Long.parseLong(new String(tar, 148, 6, StandardCharsets.US_ASCII), 8)).isEqualTo(sum);
        assertThat(new String(tar, 512, 2, StandardCharsets.US_ASCII)).isEqualTo("hi");
    }

    @Test
    void longOrNonAsciiNamesGetAPaxPathRecord() {
        byte[] tar = SnapshotTar.of(Map.of("dir/" + "x".repeat(120), new byte[0]), 0);
        assertThat((char) tar[156]).isEqualTo('x');
        assertThat(new String(tar, 512, 512, StandardCharsets.UTF_8)).startsWith("134 path=dir/xxx");
    }

    @Test
    void paxRecordLengthCountsItsOwnDigits() {
        assertThat(new String(SnapshotTar.paxRecord("path", "a"), StandardCharsets.UTF_8)).isEqualTo("9 path=a\n");
        byte[] record = SnapshotTar.paxRecord("path", "y".repeat(91)); // body 99 -> total 101: three digits
        assertThat(new String(record, StandardCharsets.UTF_8)).startsWith(record.length + " ");
    }

    @Test
    void countsTheRegularFilesOutsideGitFromTheHeaders() throws Exception {
        String deep = "d/" + "x".repeat(120) + "/f.txt";
        byte[] tar = SnapshotTar.of(Map.of("a.txt", bytes("a"), ".git/config", bytes("c"), "src/.git/HEAD", bytes("h"),
                deep, bytes("deep"), "ünï/côde.py", bytes("u")), 0);
        assertThat(SnapshotTar.countFiles(tar, false, 0)).isEqualTo(3);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(tar);
        }
        assertThat(SnapshotTar.countFiles(gz.toByteArray(), true, 0)).isEqualTo(3);
        // an image snapshot's export has the directory itself as the first segment
        byte[] exported = SnapshotTar.of(Map.of("repo/a.txt", bytes("a"), "repo/.git/config", bytes("c")), 0);
        assertThat(SnapshotTar.countFiles(exported, false, 1)).isEqualTo(1);
        assertThat(SnapshotTar.isEmpty(tar)).isFalse();
        assertThat(SnapshotTar.isEmpty(SnapshotTar.of(Map.of(), 0))).isTrue();
        assertThat(SnapshotTar.countFiles(bytes("not a tar at all, just text that is long enough?"), false, 0))
                .isEqualTo(-1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
