package io.mechanize.cli.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mechanize.cli.client.Cluster;
import io.mechanize.cli.fleet.MetricsReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet on a web page at {@code http://127.0.0.1:PORT/}: static HTML and JS from the jar, fed
 * by {@code /api/state} (JSON of {@link DashboardModel.State}), which two background readers keep
 * current: {@code mechanize.metrics} (workers) and {@code mechanize.commands} + {@code
 * mechanize.results} (runs, throughput, failures). Binds to loopback only: it has no login.
 */
public final class Dashboard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html", "/index.html", "index.html", "/app.js", "app.js");

    private final DashboardModel model;
    private final Clock clock;
    private final HttpServer server;
    private final ExecutorService httpThreads = Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon()
            .name("mechanize-dashboard-http-", 0).factory());
    private final List<Thread> readers = new ArrayList<>();
    private final FleetLogReader fleetLog;
    private final MetricsReader metrics;
    private final ObjectMapper json = new ObjectMapper();
    private volatile boolean closing;

    private Dashboard(Cluster cluster, int port, Duration lookBack, Clock clock) throws IOException {
        this.clock = clock;
        this.model = new DashboardModel(Duration.ofSeconds(35));
        this.fleetLog = new FleetLogReader(cluster, clock.instant().minus(lookBack));
        this.metrics = new MetricsReader(cluster, clock.instant().minus(Duration.ofSeconds(60)));
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setExecutor(httpThreads);
        server.createContext("/", this::handle);
    }

    /**
     * Starts the readers and the HTTP server.
     *
     * @param port the TCP port on 127.0.0.1; 0 for an ephemeral one
     * @param lookBack how far back the runs, throughput and failures start
     */
    public static Dashboard start(Cluster cluster, int port, Duration lookBack) {
        Dashboard dashboard;
        try {
            dashboard = new Dashboard(cluster, port, lookBack, Clock.systemUTC());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the dashboard on 127.0.0.1:" + port + ": " + e.getMessage(),
                    e);
        }
        dashboard.readers.add(Thread.ofPlatform().daemon().name("mechanize-dashboard-results")
                .start(() -> dashboard.read(() -> dashboard.fleetLog.poll(Duration.ofMillis(500), dashboard.model))));
        dashboard.readers.add(Thread.ofPlatform().daemon().name("mechanize-dashboard-metrics")
                .start(() -> dashboard.read(() -> dashboard.metrics.poll(Duration.ofMillis(500),
                        dashboard.model::onMetrics))));
        dashboard.server.start();
        log.info("dashboard at {}", dashboard.url());
        return dashboard;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    public DashboardModel.State state() {
        return model.state(clock.instant());
    }

    private void read(Runnable pollOnce) {
        try {
            while (!closing) {
                pollOnce.run();
            }
        } catch (WakeupException e) {
            if (!closing) {
                log.error("a dashboard reader was woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            log.error("a dashboard reader stopped: the page no longer updates", e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            var headers = exchange.getResponseHeaders();
            headers.set("Cache-Control", "no-store");
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'");
            if (!exchange.getRequestMethod().equals("GET")) {
                send(exchange, 405, "text/plain", "GET only\n".getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/api/state")) {
                send(exchange, 200, "application/json", json.writeValueAsBytes(state()));
            } else if (STATIC.containsKey(path)) {
                String name = STATIC.get(path);
                try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
                    if (in == null) {
                        send(exchange, 500, "text/plain", ("missing resource " + name + "\n").getBytes());
                        return;
                    }
                    send(exchange, 200, name.endsWith(".js") ? "text/javascript; charset=utf-8"
                            : "text/html; charset=utf-8", in.readAllBytes());
                }
            } else {
                send(exchange, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (RuntimeException e) {
            log.warn("dashboard request {} failed", exchange.getRequestURI(), e);
        }
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        closing = true;
        server.stop(0);
        httpThreads.shutdownNow();
        fleetLog.wakeup();
        for (Thread reader : readers) {
            try {
                reader.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        fleetLog.close();
        metrics.close();
    }
}
