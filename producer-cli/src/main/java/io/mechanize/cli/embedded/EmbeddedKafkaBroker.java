package io.mechanize.cli.embedded;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka 4.4.0 broker (KRaft, combined broker and controller) in this process,
 * for the single-machine mode ({@code mechanize demo}, {@code mechanize run --embedded}) and tests.
 *
 * <p>It uses the production server classes ({@link Formatter}, {@link KafkaRaftServer}); these are
 * internal APIs, so the Kafka version is pinned in the parent POM. Listeners bind to 127.0.0.1 only.
 * Topics are not auto-created; the internal offsets and transaction topics have replication factor 1,
 * so transactional producers and {@code read_committed} consumers work. {@link #start} returns once
 * a client can reach the broker.
 *
 * <pre>{@code
 * try (var broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
 *     String bootstrap = broker.bootstrapServers(); // "127.0.0.1:41234"
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    static final int NODE_ID = 1;
    static final String HOST = "127.0.0.1";
    static final String CONTROLLER_LISTENER = "CONTROLLER";
    static final String CLIENT_LISTENER = "CLIENT";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int BIND_ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final int port;
    private final String clusterId;
    private final Path dataDir;
    private final boolean deleteDataDirOnClose;
    private final ScramSecurity security;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, int port, String clusterId, Path dataDir,
            boolean deleteDataDirOnClose, ScramSecurity security) {
        this.security = security;
        this.server = server;
        this.port = port;
        this.clusterId = clusterId;
        this.dataDir = dataDir;
        this.deleteDataDirOnClose = deleteDataDirOnClose;
    }

    /**
     * Starts a broker that keeps its log in {@code dataDir} (created and formatted when needed; an
     * already formatted directory keeps its data and cluster id).
     *
     * @param dataDir the log directory
     * @param port the client port on 127.0.0.1, or 0 for a free one
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, Map.of(), false);
    }

    /** Starts a broker on a free port with a temporary log directory that {@link #close()} deletes. */
    public static EmbeddedKafkaBroker startTemporary() {
        try {
            return start(Files.createTempDirectory("mechanize-kafka-"), 0, Map.of(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the embedded Kafka broker", e);
        }
    }

    /**
     * Starts a broker with extra broker properties ({@code overrides} win over the defaults).
     *
     * @param deleteDataDirOnClose whether {@link #close()} deletes {@code dataDir}
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> overrides,
            boolean deleteDataDirOnClose) {
        return start(dataDir, port, overrides, deleteDataDirOnClose, null);
    }

    /**
     * Starts a broker whose client listener requires SASL/SCRAM and whose authorizer enforces ACLs
     * ({@code security}'s users are created at format time); {@code overrides} win over both.
     *
     * @param security the users and the super user, or null for a PLAINTEXT broker without ACLs
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> overrides,
            boolean deleteDataDirOnClose, ScramSecurity security) {
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(overrides, "overrides is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1-65535, was " + port);
        }
        EmbeddedKafkaLogging.quietUnlessConfigured();
        long startedAt = System.nanoTime();
        Path logDir = dataDir.toAbsolutePath();
        RuntimeException lastFailure = null;
        // A port picked as free can be taken before the broker binds it: try again with new ports.
        for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
            int brokerPort = port != 0 ? port : FreePorts.pick();
            int controllerPort = FreePorts.pick(brokerPort);
            Map<String, String> brokerOverrides = new java.util.LinkedHashMap<>();
            if (security != null) {
                brokerOverrides.putAll(security.brokerProperties());
            }
            brokerOverrides.putAll(overrides);
            KafkaConfig config = KafkaConfig.fromProps(
                    BrokerProperties.of(logDir, brokerPort, controllerPort, brokerOverrides), false);
            String clusterId = format(config, logDir, security);
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                server.startup();
                var broker = new EmbeddedKafkaBroker(server, brokerPort, clusterId, logDir, deleteDataDirOnClose,
                        security);
                broker.awaitReady();
                log.info("Embedded Kafka broker ready at {} (cluster {}, data {}) in {} ms", broker.bootstrapServers(),
                        clusterId, logDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt));
                return broker;
            } catch (RuntimeException e) {
                stopQuietly(server);
                lastFailure = e;
                if (port != 0 || !isBindFailure(e)) {
                    break;
                }
                log.warn("Embedded Kafka broker could not bind port {} or {} (attempt {}), retrying", brokerPort,
                        controllerPort, attempt);
            }
        }
        if (deleteDataDirOnClose) {
            DataDirs.deleteQuietly(logDir);
        }
        throw new EmbeddedKafkaException("the embedded Kafka broker did not start (data dir " + logDir
                + ", port " + (port == 0 ? "any" : port) + "): " + rootCauseMessage(lastFailure), lastFailure);
    }

    /** {@code 127.0.0.1:PORT}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The client properties that log in as {@code user} (empty for a PLAINTEXT broker). */
    public Map<String, String> clientProperties(String user) {
        return security == null ? Map.of() : security.clientProperties(user);
    }

    public int port() {
        return port;
    }

    public String clusterId() {
        return clusterId;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker and waits for it; deletes the data directory when it was temporary. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long stoppingAt = System.nanoTime();
        try {
            server.shutdown();
            server.awaitShutdown();
            log.info("Embedded Kafka broker at {} stopped in {} ms", bootstrapServers(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppingAt));
        } finally {
            if (deleteDataDirOnClose) {
                DataDirs.deleteQuietly(dataDir);
            }
        }
    }

    /** Formats the log dir like {@code kafka-storage format --ignore-formatted}; returns the cluster id in use. */
    private static String format(KafkaConfig config, Path logDir, ScramSecurity security) {
        try {
            Files.createDirectories(logDir);
            String existing = DataDirs.clusterIdOf(logDir);
            Formatter formatter = new Formatter()
                    .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(existing != null ? existing : Uuid.randomUuid().toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setUnstableFeatureVersionsEnabled(false)
                    .setIgnoreFormatted(true)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(config.metadataLogDir());
            if (security != null) {
                formatter.setScramArguments(security.formatterArguments());
            }
            formatter.addDirectory(logDir.toString());
            formatter.run();
            return formatter.clusterId();
        } catch (Exception e) {
            throw new EmbeddedKafkaException("cannot format the Kafka log directory " + logDir + ": " + e.getMessage(), e);
        }
    }

    /** Waits until an admin client sees this broker in the cluster metadata. */
    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Map<String, Object> adminConfig = new java.util.HashMap<>();
        if (security != null) {
            adminConfig.putAll(security.clientProperties(security.superUser()));
        }
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(adminConfig)) {
            Exception last = null;
            while (System.nanoTime() < deadline) {
                try {
                    var nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000)).nodes()
                            .get(10, TimeUnit.SECONDS);
                    if (nodes.stream().anyMatch(node -> node.id() == NODE_ID)) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
                Thread.sleep(50);
            }
            throw new EmbeddedKafkaException("the embedded Kafka broker at " + bootstrapServers()
                    + " did not become ready within " + READY_TIMEOUT.toSeconds() + " s"
                    + (last == null ? "" : ": " + last.getMessage()), last);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("interrupted while waiting for the embedded Kafka broker", e);
        }
    }

    private static void stopQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            log.debug("Ignoring a failure while stopping a broker that did not start", e);
        }
    }

    /** Kafka wraps the reason (e.g. "Socket server failed to bind to 127.0.0.1:9092") several times. */
    private static String rootCauseMessage(Throwable e) {
        Throwable root = e;
        String message = e.getMessage();
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            if (root.getMessage() != null && !(root instanceof java.net.BindException)) {
                message = root.getMessage();
            }
        }
        return message;
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers() + ", cluster " + clusterId + "]";
    }
}
