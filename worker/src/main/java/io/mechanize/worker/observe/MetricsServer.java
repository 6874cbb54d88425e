package io.mechanize.worker.observe;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Serves a worker's metrics on {@code http://HOST:PORT/metrics} in the Prometheus text format. */
public final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /**
     * Binds {@code host:port} (port 0: an ephemeral port, see {@link #port()}) and starts serving.
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public static MetricsServer start(MetricRegistry metrics, String host, int port) {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PrometheusExport(metrics));
        try {
            return new MetricsServer(HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** The port bound, the ephemeral one when 0 was asked. */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
