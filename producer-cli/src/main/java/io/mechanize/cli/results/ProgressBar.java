package io.mechanize.cli.results;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A one-line progress display on the terminal (redrawn in place), or a plain line every few
 * seconds when the output is not a terminal (CI logs stay readable).
 */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private static final Duration PLAIN_EVERY = Duration.ofSeconds(5);

    private final PrintStream out;
    private final boolean terminal;
    private final Clock clock;
    private final Instant started;
    private Instant lastPlain = Instant.EPOCH;
    private String lastDrawn = "";

    public ProgressBar(PrintStream out, boolean terminal, Clock clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
        this.started = clock.instant();
    }

    public void update(int done, int total, int failures) {
        Instant now = clock.instant();
        double seconds = Math.max(0.001, Duration.between(started, now).toMillis() / 1000.0);
        double rate = done / seconds;
        String eta = done == 0 || done >= total ? "--" : Math.round((total - done) / rate) + "s";
        int filled = total == 0 ? WIDTH : (int) Math.round(WIDTH * (double) done / total);
        String line = String.format("[%s%s] %d/%d simulations  %.1f/s  ETA %s  failures %d",
                "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, rate, eta, failures);
        if (terminal) {
            if (!line.equals(lastDrawn)) {
                out.print("\r" + line);
                out.flush();
                lastDrawn = line;
            }
        } else if (done >= total || Duration.between(lastPlain, now).compareTo(PLAIN_EVERY) >= 0) {
            if (!line.equals(lastDrawn)) {
                out.println(line);
                lastDrawn = line;
            }
            lastPlain = now;
        }
    }

    public void finish() {
        if (terminal && !lastDrawn.isEmpty()) {
            out.println();
        }
    }
}
