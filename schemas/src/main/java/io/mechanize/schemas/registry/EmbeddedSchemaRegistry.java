package io.mechanize.schemas.registry;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small Confluent-compatible Schema Registry for single-machine use, on 127.0.0.1 only. AVRO only,
 * BACKWARD compatibility only, one process writing its store (no leader election).
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final SchemaStore store;
    private final String url;

    private EmbeddedSchemaRegistry(HttpServer server, ExecutorService executor, SchemaStore store) {
        this.server = server;
        this.executor = executor;
        this.store = store;
        this.url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A registry that keeps its schemas in the compacted topic {@code _schemas} of this Kafka cluster. */
    public static EmbeddedSchemaRegistry start(String bootstrapServers, int port) {
        return start(KafkaSchemaStore.open(KafkaSchemaStore.Settings.defaults(bootstrapServers)), port);
    }

    /**
     * A registry that keeps its schemas in {@code _schemas} of a secured cluster: {@code clientProperties}
     * ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) go to every client of its store.
     */
    public static EmbeddedSchemaRegistry start(String bootstrapServers, Map<String, String> clientProperties, int port) {
        return start(KafkaSchemaStore.open(KafkaSchemaStore.Settings.defaults(bootstrapServers)
                .withClientProperties(clientProperties)), port);
    }

    /** A registry that forgets its schemas on close. */
    public static EmbeddedSchemaRegistry startInMemory(int port) {
        return start(new InMemorySchemaStore(), port);
    }

    /** A registry over {@code store} on 127.0.0.1:{@code port} (0: an ephemeral port); closes the store on close. */
    public static EmbeddedSchemaRegistry start(SchemaStore store, int port) {
        Objects.requireNonNull(store, "store is null");
        if (port < 0 || port > 65535) {
            store.close();
            throw new IllegalArgumentException("port " + port + " is not between 0 and 65535");
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            RegistryState state = new RegistryState(store);
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            server.createContext("/", new RegistryHttpHandler(state));
            server.setExecutor(executor);
            server.start();
            EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(server, executor, store);
            LOG.info("schema registry listening at {}", registry.url());
            return registry;
        } catch (IOException e) {
            executor.close();
            store.close();
            throw new UncheckedIOException("cannot start the schema registry on 127.0.0.1:" + port + ": " + e, e);
        } catch (RuntimeException e) {
            executor.close();
            store.close();
            throw e;
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String url() {
        return url;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
        store.close();
        LOG.info("schema registry at {} stopped", url);
    }
}
