package io.mechanize.cli.commands;

import io.mechanize.cli.dashboard.Dashboard;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = {"Serve a live web page of the fleet on http://127.0.0.1:PORT/: throughput and success over "
                + "time, active workspaces, per-worker load, recent failures and violations, per-run progress.",
                "Fed by mechanize.metrics, mechanize.commands and mechanize.results (read_committed); binds to "
                        + "loopback only. Runs until interrupted."})
public final class DashboardCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "8265",
            description = "TCP port on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--look-back", defaultValue = "1h",
            description = "Show runs, throughput and failures from this long ago on. Default: ${DEFAULT-VALUE}.")
    String lookBack;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws InterruptedException {
        try (Dashboard dashboard = Dashboard.start(cluster.require(spec), port, Durations.parse(lookBack, spec))) {
            System.out.println("dashboard: " + dashboard.url());
            System.out.flush();
            new CountDownLatch(1).await(); // until Ctrl-C: the JVM's exit closes the sockets
        }
        return 0;
    }
}
