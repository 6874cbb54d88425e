package io.mechanize.cli.commands;

import io.mechanize.cli.fleet.FleetView;
import io.mechanize.cli.fleet.MetricsReader;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"A live view of the fleet from the WorkerMetrics snapshots on mechanize.metrics: workers, "
                + "active workspaces, throughput and consumer lag, redrawn every --refresh.",
                "A worker silent for longer than --stale-after is marked (silent) and left out of the totals."})
public final class WatchCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--once", description = "Print one frame (from the last --look-back of snapshots) and exit.")
    boolean once;

    @Option(names = "--refresh", defaultValue = "2s", description = "Redraw period. Default: ${DEFAULT-VALUE}.")
    String refresh;

    @Option(names = "--look-back", defaultValue = "60s",
            description = "Start from the snapshots of this long ago. Default: ${DEFAULT-VALUE}.")
    String lookBack;

    @Option(names = "--stale-after", defaultValue = "35s",
            description = "A worker whose last snapshot is older is silent (3.5 x the default 10s interval). "
                    + "Default: ${DEFAULT-VALUE}.")
    String staleAfter;

    @Mixin
    ClusterOptions cluster;

    PrintStream out = System.out;

    @Override
    public Integer call() {
        Duration period = Durations.parse(refresh, spec);
        Clock clock = Clock.systemUTC();
        FleetView view = new FleetView(Durations.parse(staleAfter, spec));
        boolean terminal = System.console() != null && !once;
        try (MetricsReader reader = new MetricsReader(cluster.require(spec),
                clock.instant().minus(Durations.parse(lookBack, spec)))) {
            do {
                reader.poll(Duration.ofMillis(200), view::accept);
            } while (!reader.caughtUp());
            Instant nextDraw = clock.instant();
            while (true) {
                if (!clock.instant().isBefore(nextDraw)) {
                    String frame = FleetView.render(view.frame(clock.instant()));
                    out.print(terminal ? "\033[H\033[2J" + frame : frame);
                    out.flush();
                    if (once) {
                        return 0;
                    }
                    if (!terminal) {
                        out.println();
                    }
                    nextDraw = clock.instant().plus(period);
                }
                reader.poll(Duration.ofMillis(200), view::accept);
            }
        }
    }
}
