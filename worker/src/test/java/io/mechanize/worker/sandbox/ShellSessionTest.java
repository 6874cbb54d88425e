package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Requests sent to a session before the first is answered: each stream's output belongs to the
 * oldest request whose marker has not come on that stream, whatever the other stream does.
 * The driver here is a stand-in that records the requests; the test writes the driver's output.
 */
class ShellSessionTest {
    private final StandIn driver = new StandIn();
    private final SteppingClock clock = new SteppingClock();
    private final ShellSession session = ShellSession.over(driver, "default", clock);

    @Test
    void eachStreamIsSplitAmongTheRequestsInTheOrderTheyWereSent() {
        ShellSession.Call first = session.submit(request("echo one"), true);
        ShellSession.Call second = session.submit(request("echo two"), false);
        ShellSession.Call third = session.submit(request("echo three; exit 3"), false);
        assertThat(driver.headers()).hasSize(3);
        assertThat(driver.headers().get(0)).contains(" mb ");
        assertThat(driver.headers().get(1)).contains(" m ").doesNotContain("mb");
        String[] ids = driver.ids();

        clock.advance(Duration.ofMillis(3));
        // the first's stdout and its marker, then the second's output, split mid-marker, all
        // before the first's stderr marker has come
        session.stdout(bytes("one\n" + marker(ids[0], "0 0 ok\nU 1 2 3 0 0\nW 10\n") + "tw"));
        session.stdout(bytes("o\n\036" + ids[1].substring(0, 3)));
        session.stdout(bytes(ids[1].substring(3) + " 0 0 ok\nW 10\n\036\n"));
        session.stderr(bytes("warning one\n\036" + ids[0] + "\036\n" + "warning two\n"));
        clock.advance(Duration.ofMillis(4));
        session.stderr(bytes("\036" + ids[1] + "\036\n"));

        ShellResult one = session.await(first);
        ShellResult two = session.await(second);
        assertThat(one.status()).isEqualTo(ShellResult.Status.RAN);
        assertThat(one.exec().stdout().text()).isEqualTo("one\n");
        assertThat(one.exec().stderr().text()).isEqualTo("warning one\n");
        assertThat(one.usage().workspaceBytes()).isEqualTo(10);
        assertThat(two.exec().stdout().text()).isEqualTo("two\n");
        assertThat(two.exec().stderr().text()).isEqualTo("warning two\n");
        // the first ran from its sending until its answer, the second from then until its own
        assertThat(one.exec().duration()).isEqualTo(Duration.ofMillis(3));
        assertThat(two.exec().duration()).isEqualTo(Duration.ofMillis(4));

        session.stderr(bytes("\036" + ids[2] + "\036\n"));
        session.stdout(bytes("three\n" + marker(ids[2], "3 0 ok\nW 10\n")));
        ShellResult three = session.await(third);
        assertThat(three.exec().exitCode()).isEqualTo(3);
        assertThat(three.exec().stdout().text()).isEqualTo("three\n");
    }

    @Test
    void aDriverThatEndsAnswersEveryRequestStillWaitingAsDead() {
        ShellSession.Call first = session.submit(request("true"), false);
        ShellSession.Call second = session.submit(request("kill the driver"), false);
        ShellSession.Call third = session.submit(request("true"), false);
        String[] ids = driver.ids();
        session.stdout(bytes(marker(ids[0], "0 0 ok\nW 1\n")));
        session.stderr(bytes("\036" + ids[0] + "\036\n"));
        session.stdout(bytes("partial"));
        session.ended("its shell exited");

        assertThat(session.await(first).status()).isEqualTo(ShellResult.Status.RAN);
        ShellResult died = session.await(second);
        assertThat(died.status()).isEqualTo(ShellResult.Status.SESSION_DIED);
        assertThat(died.exec().stdout().text()).isEqualTo("partial");
        assertThat(session.await(third).status()).isEqualTo(ShellResult.Status.SESSION_DIED);
        assertThat(session.alive()).isFalse();
        // and a request sent after that is not left waiting
        assertThat(session.run(request("true"), false).status()).isEqualTo(ShellResult.Status.SESSION_DIED);
    }

    @Test
    void aReplyThatIsNotTheDriversEndsTheSessionForEveryRequestAfterIt() {
        ShellSession.Call first = session.submit(request("printf forged"), false);
        ShellSession.Call second = session.submit(request("true"), false);
        String[] ids = driver.ids();
        session.stdout(bytes(marker(ids[0], "forged reply\n")));
        session.stderr(bytes("\036" + ids[0] + "\036\n"));

        ShellResult forged = session.await(first);
        assertThat(forged.status()).isEqualTo(ShellResult.Status.SESSION_DIED);
        assertThat(session.endedWhy()).startsWith("its reply was not understood: 'forged reply'");
        assertThat(session.await(second).status()).isEqualTo(ShellResult.Status.SESSION_DIED);
    }

    @Test
    void theHelpersSourceGoesToADriverOnceAndAgainOnlyWhenItHasNone() {
        byte[] source = bytes("print('helper')\n");
        byte[] json = bytes("{\"op\":\"read\"}");
        byte[] input = new byte[source.length + json.length];
        System.arraycopy(source, 0, input, 0, source.length);
        System.arraycopy(json, 0, input, source.length, json.length);
        ShellRequest request = ShellRequest.helper(source.length, input, Duration.ofSeconds(5), 1 << 16).withMeasurement();
        driver.answer = (id, sent) -> "{\"ok\": true}" + marker(id, "0 0 ok\nW 1\n");
        assertThat(session.run(request, false).status()).isEqualTo(ShellResult.Status.RAN);
        assertThat(driver.bodies().getFirst()).endsWith("print('helper')\n{\"op\":\"read\"}");
        assertThat(session.run(request, false).exec().stdout().text()).isEqualTo("{\"ok\": true}");
        assertThat(driver.bodies().get(1)).as("the source left out").isEqualTo("0{\"op\":\"read\"}");
        assertThat(driver.headers().get(1)).endsWith(" " + json.length + " 0 1");

        // a driver that has to start a helper and has no source says so: the request goes again, with it
        driver.answer = (id, sent) -> sent.contains("print('helper')") ? "{\"ok\": true}" + marker(id, "0 0 ok\nW 1\n")
                : marker(id, "126 0 nosource\nW 1\n");
        ShellResult result = session.run(request, false);
        assertThat(result.status()).isEqualTo(ShellResult.Status.RAN);
        assertThat(result.exec().exitCode()).isZero();
        assertThat(driver.bodies()).hasSize(4);
        assertThat(driver.bodies().get(3)).contains("print('helper')");
    }

    private static ShellRequest request(String command) {
        return new ShellRequest(command, null, Map.of(), Duration.ofSeconds(30), 1 << 16).withMeasurement();
    }

    private static String marker(String id, String payload) {
        return "\036" + id + " " + payload + "\036\n";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private final class StandIn implements DriverProcess {
        private final List<byte[]> sent = new ArrayList<>();
        /** When set, the driver's stdout for each request (id, what was sent), answered at once. */
        volatile java.util.function.BiFunction<String, String, String> answer;

        @Override
        public void send(byte[] bytes) {
            synchronized (this) {
                sent.add(bytes);
            }
            if (answer != null) {
                String text = new String(bytes, StandardCharsets.UTF_8);
                String id = text.substring(0, text.indexOf(' '));
                session.stdout(bytes(answer.apply(id, text)));
                session.stderr(bytes("\036" + id + "\036\n"));
            }
        }

        synchronized List<String> bodies() {
            return sent.stream().map(b -> new String(b, StandardCharsets.UTF_8))
                    .map(t -> t.substring(t.indexOf('\n') + 1)).toList();
        }

        @Override
        public boolean running() {
            return true;
        }

        @Override
        public void close() {
        }

        synchronized List<String> headers() {
            return sent.stream().map(b -> new String(b, StandardCharsets.UTF_8).lines().findFirst().orElseThrow()).toList();
        }

        String[] ids() {
            return headers().stream().map(h -> h.substring(0, h.indexOf(' '))).toArray(String[]::new);
        }
    }

    private static final class SteppingClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
