package io.mechanize.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RestSchemaRegistryClientTest {

    static final Schema PET = new Schema.Parser().parse("""
            {"type":"record","name":"Pet","namespace":"t","fields":[{"name":"name","type":"string"}]}""");
    static final Schema PET_WITH_AGE = new Schema.Parser().parse("""
            {"type":"record","name":"Pet","namespace":"t","fields":[{"name":"name","type":"string"},
             {"name":"age","type":"int"}]}""");

    @Nested
    class AgainstTheEmbeddedRegistry {

        @Test
        void registersLooksUpAndChecksCompatibility() {
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.startInMemory(0);
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(registry.url())) {
                assertThat(client.isCompatible("pets-value", PET)).as("no versions yet").isTrue();

                int pet = client.register("pets-value", PET);
                int metrics = client.register("mechanize.metrics-value", WorkerMetrics.getClassSchema());

                assertThat(pet).isEqualTo(1);
                assertThat(metrics).isEqualTo(2);
                assertThat(client.isCompatible("pets-value", PET_WITH_AGE)).isFalse();
                try (RestSchemaRegistryClient fresh = new RestSchemaRegistryClient(registry.url() + "/")) {
                    assertThat(fresh.schemaById(2)).isEqualTo(WorkerMetrics.getClassSchema());
                    assertThat(fresh.register("pets-value", PET)).isEqualTo(1);
                }
            }
        }

        @Test
        void aRefusedRegistrationCarriesStatusAndErrorCode() {
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.startInMemory(0);
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(registry.url())) {
                client.register("pets-value", PET);

                assertThatThrownBy(() -> client.register("pets-value", PET_WITH_AGE))
                        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                            assertThat(e.httpStatus()).isEqualTo(409);
                            assertThat(e.errorCode()).isEqualTo(409);
                        })
                        .hasMessageStartingWith("schema registry " + registry.url() + " answered 409 (error 409 ")
                        .hasMessageEndingWith("to POST /subjects/pets-value/versions");
                assertThatThrownBy(() -> client.schemaById(7))
                        .isInstanceOfSatisfying(SchemaRegistryException.class,
                                e -> assertThat(e.isSchemaNotFound()).isTrue())
                        .hasMessage("schema registry " + registry.url()
                                + " answered 404 (error 40403 Schema 7 not found) to GET /schemas/ids/7");
            }
        }

        @Test
        void encodesSubjectsInThePath() {
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.startInMemory(0);
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(registry.url())) {
                client.register("odd/subject name+1", PET);
                assertThat(client.isCompatible("odd/subject name+1", PET_WITH_AGE)).isFalse();
                assertThat(client.isCompatible("odd/subject name+1", PET)).isTrue();
            }
        }
    }

    @Nested
    class AgainstAStub {

        @Test
        void cachesBothWaysSoTheHotPathAsksOnce() throws IOException {
            try (Stub stub = new Stub(200, "{\"id\":5}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                for (int i = 0; i < 3; i++) {
                    assertThat(client.register("pets-value", PET)).isEqualTo(5);
                    assertThat(client.schemaById(5)).isEqualTo(PET);
                }
                assertThat(stub.requests).containsExactly("POST /subjects/pets-value/versions");
            }
        }

        @Test
        void sendsHttpBasicOnEveryRequestWhenGivenUserInfo() throws IOException {
            var settings = RegistryClientSettings.from(java.util.Map.of(
                    "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "fleet:s3cret"), null);
            try (Stub stub = new Stub(200, "{\"id\":5,\"is_compatible\":true}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url(), settings)) {
                client.register("pets-value", PET);
                client.isCompatible("pets-value", PET);

                assertThat(stub.authorizations).containsExactly("Basic ZmxlZXQ6czNjcmV0", "Basic ZmxlZXQ6czNjcmV0");
            }
        }

        @Test
        void sendsNoAuthorizationWithoutCredentials() throws IOException {
            try (Stub stub = new Stub(200, "{\"id\":5}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                client.register("pets-value", PET);

                assertThat(stub.authorizations).containsExactly("none");
            }
        }

        @Test
        void credentialsInTheUrlGoInTheHeaderAndNeverInMessages() throws IOException {
            try (Stub stub = new Stub(200, "{\"id\":5}")) {
                String url = stub.url().replace("http://", "http://fleet:s3cret@");
                var settings = RegistryClientSettings.from(java.util.Map.of("basic.auth.credentials.source", "URL"), url);
                try (RestSchemaRegistryClient client = new RestSchemaRegistryClient(url, settings)) {
                    client.register("pets-value", PET);

                    assertThat(stub.authorizations).containsExactly("Basic ZmxlZXQ6czNjcmV0");
                    assertThat(client.url()).isEqualTo(stub.url());
                }
            }
        }

        @Test
        void aRefusedCredentialSaysWhatToCheck() throws IOException {
            try (Stub stub = new Stub(401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                assertThatThrownBy(() -> client.schemaById(1))
                        .isInstanceOfSatisfying(SchemaRegistryException.class,
                                e -> assertThat(e.httpStatus()).isEqualTo(401))
                        .hasMessage("schema registry " + stub.url() + " answered 401 (not authenticated: it needs"
                                + " credentials, e.g. basic.auth.user.info=USER:PASSWORD) to GET /schemas/ids/1");
            }
        }

        @Test
        void concurrentFirstCallsShareOneRequest() throws Exception {
            try (Stub stub = new Stub(200, "{\"id\":5}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url());
                 ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                List<java.util.concurrent.Future<Integer>> ids = new java.util.ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    ids.add(threads.submit(() -> client.register("pets-value", PET)));
                }
                for (var id : ids) {
                    assertThat(id.get()).isEqualTo(5);
                }
                assertThat(stub.requests).hasSize(1);
            }
        }

        @Test
        void aServerErrorNamesStatusCodeAndRequest() throws IOException {
            try (Stub stub = new Stub(500, "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                assertThatThrownBy(() -> client.schemaById(7))
                        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                            assertThat(e.httpStatus()).isEqualTo(500);
                            assertThat(e.errorCode()).isEqualTo(50001);
                            assertThat(e.isSchemaNotFound()).isFalse();
                        })
                        .hasMessage("schema registry " + stub.url()
                                + " answered 500 (error 50001 Error in the backend data store) to GET /schemas/ids/7");
            }
        }

        @Test
        void aFailedLoadIsNotCachedSoTheNextCallRetries() throws IOException {
            try (Stub stub = new Stub(503, "{\"error_code\":50002,\"message\":\"timed out\"}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                assertThatThrownBy(() -> client.register("pets-value", PET)).isInstanceOf(SchemaRegistryException.class);
                stub.answer(200, "{\"id\":9}");
                assertThat(client.register("pets-value", PET)).isEqualTo(9);
                assertThat(stub.requests).hasSize(2);
            }
        }

        @Test
        void aSubjectWithoutVersionsIsCompatible() throws IOException {
            try (Stub stub = new Stub(404, "{\"error_code\":40401,\"message\":\"Subject 'x' not found.\"}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                assertThat(client.isCompatible("x", PET)).isTrue();
                assertThat(stub.requests).containsExactly("POST /compatibility/subjects/x/versions/latest");
            }
        }

        @Test
        void aGarbageBodyIsQuotedInTheError() throws IOException {
            try (Stub stub = new Stub(502, "<html>Bad Gateway</html>");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                assertThatThrownBy(() -> client.register("pets-value", PET))
                        .isInstanceOfSatisfying(SchemaRegistryException.class,
                                e -> assertThat(e.httpStatus()).isEqualTo(502))
                        .hasMessage("schema registry " + stub.url() + " answered 502 to POST /subjects/pets-value/versions"
                                + " with a body that is not the registry's JSON: '<html>Bad Gateway</html>'");
            }
        }

        @Test
        void aSuccessWithoutTheExpectedFieldIsAnError() throws IOException {
            try (Stub stub = new Stub(200, "{\"idx\":1}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                assertThatThrownBy(() -> client.register("pets-value", PET))
                        .isInstanceOf(SchemaRegistryException.class)
                        .hasMessageContaining("without an integer 'id'");
                assertThatThrownBy(() -> client.schemaById(1))
                        .isInstanceOf(SchemaRegistryException.class)
                        .hasMessageContaining("answered 200 to GET /schemas/ids/1 with a body that is not");
            }
        }

        @Test
        void aSchemaThatDoesNotParseIsAnError() throws IOException {
            try (Stub stub = new Stub(200, "{\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(stub.url())) {
                assertThatThrownBy(() -> client.schemaById(3))
                        .isInstanceOf(SchemaRegistryException.class)
                        .hasMessageContaining("returned a schema for id 3 that does not parse as Avro");
            }
        }

        @Test
        void aSlowRegistryTimesOutWithAClearMessage() throws IOException {
            try (Stub stub = new Stub(200, "{\"id\":1}");
                 RestSchemaRegistryClient client = new RestSchemaRegistryClient(
                         stub.url(), Duration.ofSeconds(2), Duration.ofMillis(300))) {
                stub.stall();
                assertThatThrownBy(() -> client.register("pets-value", PET))
                        .isInstanceOfSatisfying(SchemaRegistryException.class,
                                e -> assertThat(e.httpStatus()).isEqualTo(SchemaRegistryException.NO_ANSWER))
                        .hasMessage("schema registry at " + stub.url()
                                + " did not answer POST /subjects/pets-value/versions within PT0.3S:"
                                + " java.net.http.HttpTimeoutException: request timed out");
            }
        }
    }

    @Test
    void anUnreachableRegistrySaysSo() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;
        try (RestSchemaRegistryClient client = new RestSchemaRegistryClient(url)) {
            assertThatThrownBy(() -> client.schemaById(1))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(SchemaRegistryException.NO_ANSWER);
                        assertThat(e.isSchemaNotFound()).isFalse();
                    })
                    .hasMessageStartingWith("cannot reach schema registry at " + url + ": java.net.ConnectException")
                    .hasMessageEndingWith("(GET /schemas/ids/1)");
        }
    }

    @Test
    void refusesAUrlThatIsNotHttp() {
        assertThatThrownBy(() -> new RestSchemaRegistryClient("127.0.0.1:8081"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'127.0.0.1:8081' is not an http(s) URL");
    }

    /** A loopback HTTP server that answers every request with one canned status and body. */
    static final class Stub implements AutoCloseable {
        final List<String> requests = new CopyOnWriteArrayList<>();
        /** The Authorization header of each request ("none" when absent). */
        final List<String> authorizations = new CopyOnWriteArrayList<>();
        private final HttpServer server;
        private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        private final AtomicInteger status = new AtomicInteger();
        private volatile String body;
        private volatile boolean stalled;

        Stub(int status, String body) throws IOException {
            answer(status, body);
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
                authorizations.add(java.util.Objects.requireNonNullElse(
                        exchange.getRequestHeaders().getFirst("Authorization"), "none"));
                exchange.getRequestBody().readAllBytes();
                if (stalled) {
                    awaitRelease();
                }
                byte[] bytes = this.body.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(this.status.get(), bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
        }

        void answer(int newStatus, String newBody) {
            status.set(newStatus);
            body = newBody;
        }

        /** Holds every answer until close. */
        void stall() {
            stalled = true;
        }

        private void awaitRelease() {
            try {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            release.countDown();
            server.stop(0);
        }
    }
}
