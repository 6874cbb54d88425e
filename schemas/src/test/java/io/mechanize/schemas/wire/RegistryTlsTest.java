package io.mechanize.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The registry client over https with a private CA's truststore, as Confluent's schema.registry.ssl.* keys say. */
@Timeout(60)
class RegistryTlsTest {

    static final Schema PET = RestSchemaRegistryClientTest.PET;

    @TempDir
    Path dir;

    private HttpsServer server;
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startHttpsStub() throws Exception {
        keytool("-genkeypair", "-alias", "registry", "-keyalg", "EC", "-dname", "CN=127.0.0.1",
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-keystore", dir.resolve("server.p12").toString(),
                "-storetype", "PKCS12", "-storepass", "server-pass");
        keytool("-exportcert", "-alias", "registry", "-keystore", dir.resolve("server.p12").toString(),
                "-storepass", "server-pass", "-file", dir.resolve("registry.crt").toString());
        keytool("-importcert", "-noprompt", "-alias", "registry-ca", "-file", dir.resolve("registry.crt").toString(),
                "-keystore", dir.resolve("truststore.p12").toString(), "-storetype", "PKCS12",
                "-storepass", "trust-pass");

        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            keys.load(in, "server-pass".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "server-pass".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            exchange.getRequestBody().readAllBytes();
            byte[] body = "{\"id\":3}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void trustsTheRegistryThroughTheConfiguredTruststoreAndSendsBasicAuth() {
        var settings = RegistryClientSettings.from(Map.of(
                "schema.registry.ssl.truststore.location", dir.resolve("truststore.p12").toString(),
                "schema.registry.ssl.truststore.password", "trust-pass",
                "basic.auth.credentials.source", "USER_INFO",
                "basic.auth.user.info", "fleet:s3cret"), null);
        try (var client = new RestSchemaRegistryClient(url(), settings)) {
            assertThat(client.register("pets-value", PET)).isEqualTo(3);
        }
        assertThat(authorizations).containsExactly("Basic ZmxlZXQ6czNjcmV0");
    }

    @Test
    void withoutTheTruststoreThePrivateCertificateIsRefused() {
        try (var client = new RestSchemaRegistryClient(url())) {
            assertThatThrownBy(() -> client.register("pets-value", PET))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageStartingWith("cannot reach schema registry at " + url() + ": javax.net.ssl.SSLHandshakeException");
        }
        assertThat(authorizations).isEmpty();
    }

    private String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("keytool %s: %s", args[0], output).isZero();
    }
}
