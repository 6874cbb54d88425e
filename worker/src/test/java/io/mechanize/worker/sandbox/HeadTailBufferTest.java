package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeadTailBufferTest {

    @Test
    void keepsEverythingUnderTheCap() {
        HeadTailBuffer buffer = new HeadTailBuffer(10);
        buffer.write(bytes("hello"));
        buffer.write(bytes("world"));
        assertThat(buffer.toOutput()).isEqualTo(new CappedOutput("helloworld", 10, false));
    }

    @Test
    void keepsHeadAndTailOverTheCap() {
        HeadTailBuffer buffer = new HeadTailBuffer(8);
        buffer.write(bytes("ABCD"));
        buffer.write(bytes("1234567890"));
        buffer.write(bytes("WXYZ"));
        CappedOutput out = buffer.toOutput();
        assertThat(out.truncated()).isTrue();
        assertThat(out.totalBytes()).isEqualTo(18);
        assertThat(out.text()).isEqualTo("ABCD\n[... 10 bytes truncated ...]\nWXYZ");
    }

    @Test
    void theTailFollowsManySmallWrites() {
        HeadTailBuffer buffer = new HeadTailBuffer(4);
        for (char c = 'a'; c <= 'z'; c++) {
            buffer.write(new byte[] {(byte) c});
        }
        assertThat(buffer.toOutput().text()).isEqualTo("ab\n[... 22 bytes truncated ...]\nyz");
    }

    @Test
    void aZeroCapKeepsNothingButCounts() {
        HeadTailBuffer buffer = new HeadTailBuffer(0);
        buffer.write(bytes("abc"));
        assertThat(buffer.toOutput().truncated()).isTrue();
        assertThat(buffer.totalBytes()).isEqualTo(3);
    }

    @Test
    void anOddCapGivesTheExtraByteToTheHead() {
        HeadTailBuffer buffer = new HeadTailBuffer(5);
        buffer.write(bytes("0123456789"));
        assertThat(buffer.toOutput().text()).startsWith("012\n").endsWith("\n89");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aLargeCapCostsNothingUntilOutputArrives() {
        // a thousand commands at once with a 64 MiB cap each would need 64 GiB if the cap were allocated
        java.util.List<HeadTailBuffer> running = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            HeadTailBuffer buffer = new HeadTailBuffer(64 * 1024 * 1024);
            buffer.write("hi\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            running.add(buffer);
        }
        assertThat(running).allSatisfy(b -> assertThat(b.toOutput().text()).isEqualTo("hi\n"));
    }
}
