package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A session's side of the driver's protocol; the driver here is a stand-in that records the requests and answers them. */
class ShellSessionTest {
    private final StandIn driver = new StandIn();
    private final ShellSession session = ShellSession.over(driver, "default", Clock.systemUTC());

    @Test
    void aReplyThatIsNotTheDriversEndsTheSession() {
        driver.answer = (id, sent) -> marker(id, "forged reply\n");
        ShellResult forged = session.run(request("printf forged"), false);
        assertThat(forged.status()).isEqualTo(ShellResult.Status.SESSION_DIED);
        assertThat(session.endedWhy()).startsWith("its reply was not understood: 'forged reply'");
        assertThat(session.alive()).isFalse();
    }

    @Test
    void theHelpersSourceGoesToADriverOnceAndAgainOnlyWhenItHasNone() {
        byte[] source = bytes("print('helper')\n");
        byte[] json = bytes("{\"op\":\"read\"}");
        ShellRequest request = ShellRequest.helper(source, json, Duration.ofSeconds(5), 1 << 16).withMeasurement();
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
    }
}
