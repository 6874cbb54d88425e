package io.mechanize.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.schemas.avro.WorkerMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmbeddedSchemaRegistryTest {

    static final String V1 = """
            {"type":"record","name":"Pet","namespace":"t","fields":[{"name":"name","type":"string"}]}""";
    static final String V2_WITH_DEFAULT = """
            {"type":"record","name":"Pet","namespace":"t","fields":[{"name":"name","type":"string"},
             {"name":"age","type":"int","default":0}]}""";
    static final String V2_WITHOUT_DEFAULT = """
            {"type":"record","name":"Pet","namespace":"t","fields":[{"name":"name","type":"string"},
             {"name":"age","type":"int"}]}""";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.startInMemory(0);
    private final HttpClient http = HttpClient.newHttpClient();

    record Answer(int status, JsonNode body, String contentType) {
    }

    @AfterEach
    void stop() {
        http.close();
        registry.close();
    }

    @Test
    void listensOnLoopbackAtAnEphemeralPort() {
        assertThat(registry.url()).matches("http://127\\.0\\.0\\.1:\\d+").doesNotEndWith(":0");
    }

    @Test
    void registersWithGlobalIdsFromOneAndTheSameIdForTheSameSchema() throws Exception {
        Answer first = post("/subjects/pets-value/versions", V1);
        Answer again = post("/subjects/pets-value/versions", V1);
        Answer otherSubject = post("/subjects/animals-value/versions", V1);
        Answer metrics = post("/subjects/mechanize.metrics-value/versions", WorkerMetrics.getClassSchema().toString());

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        assertThat(first.body()).isEqualTo(json("{\"id\":1}"));
        assertThat(again.body()).isEqualTo(json("{\"id\":1}"));
        assertThat(otherSubject.body()).isEqualTo(json("{\"id\":1}"));
        assertThat(metrics.body()).isEqualTo(json("{\"id\":2}"));
        assertThat(get("/subjects/pets-value/versions").body()).isEqualTo(json("[1]"));
    }

    @Test
    void addsAVersionForACompatibleChangeAndServesEachVersion() throws Exception {
        post("/subjects/pets-value/versions", V1);
        Answer second = post("/subjects/pets-value/versions", V2_WITH_DEFAULT);

        assertThat(second.body()).isEqualTo(json("{\"id\":2}"));
        assertThat(get("/subjects/pets-value/versions").body()).isEqualTo(json("[1,2]"));
        JsonNode latest = get("/subjects/pets-value/versions/latest").body();
        assertThat(latest.get("subject").asText()).isEqualTo("pets-value");
        assertThat(latest.get("version").asInt()).isEqualTo(2);
        assertThat(latest.get("id").asInt()).isEqualTo(2);
        assertThat(json(latest.get("schema").asText())).isEqualTo(json(V2_WITH_DEFAULT));
        assertThat(get("/subjects/pets-value/versions/1").body().get("id").asInt()).isEqualTo(1);
        assertThat(json(get("/schemas/ids/1").body().get("schema").asText())).isEqualTo(json(V1));
        assertThat(get("/subjects").body()).isEqualTo(json("[\"pets-value\"]"));
    }

    @Test
    void refusesAnIncompatibleChangeWith409() throws Exception {
        post("/subjects/pets-value/versions", V1);

        Answer refused = post("/subjects/pets-value/versions", V2_WITHOUT_DEFAULT);

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body().get("error_code").asInt()).isEqualTo(409);
        assertThat(refused.body().get("message").asText())
                .contains("incompatible with an earlier schema for subject \"pets-value\"").contains("age");
        assertThat(get("/subjects/pets-value/versions").body()).isEqualTo(json("[1]"));
    }

    @Test
    void checksCompatibilityWithTheLatestVersion() throws Exception {
        post("/subjects/pets-value/versions", V1);

        Answer compatible = post("/compatibility/subjects/pets-value/versions/latest", V2_WITH_DEFAULT);
        Answer incompatible = post("/compatibility/subjects/pets-value/versions/latest", V2_WITHOUT_DEFAULT);
        Answer unknown = post("/compatibility/subjects/nobody/versions/latest", V1);

        assertThat(compatible.body()).isEqualTo(json("{\"is_compatible\":true}"));
        assertThat(incompatible.body()).isEqualTo(json("{\"is_compatible\":false}"));
        assertError(unknown, 404, 40401);
    }

    @Test
    void refusesAnInvalidSchemaWith422() throws Exception {
        assertError(post("/subjects/pets-value/versions", "{\"type\":\"record\",\"name\":\"X\"}"), 422, 42201);
        assertError(post("/subjects/pets-value/versions", "not json at all"), 422, 42201);
        assertError(postRaw("/subjects/pets-value/versions", "{\"schemaType\":\"PROTOBUF\",\"schema\":\"x\"}"),
                422, 42201);
        assertError(postRaw("/subjects/pets-value/versions", "{\"nothing\":1}"), 422, 42201);
        assertError(postRaw("/subjects/pets-value/versions", "{{{"), 400, 400);
    }

    @Test
    void answersUnknownThingsWithConfluentErrorCodes() throws Exception {
        post("/subjects/pets-value/versions", V1);

        assertError(get("/schemas/ids/7"), 404, 40403);
        assertError(get("/schemas/ids/seven"), 404, 40403);
        assertError(get("/subjects/nobody/versions"), 404, 40401);
        assertError(get("/subjects/nobody/versions/latest"), 404, 40401);
        assertError(get("/subjects/pets-value/versions/9"), 404, 40402);
        assertError(get("/subjects/pets-value/versions/zero"), 422, 42202);
        assertError(get("/subjects/pets-value/versions/0"), 422, 42202);
        assertError(get("/no/such/endpoint"), 404, 404);
        assertThat(get("/schemas/ids/7").body().get("message").asText()).isEqualTo("Schema 7 not found");
    }

    @Test
    void refusesAWrongMethodWith405() throws Exception {
        assertError(postRaw("/config", "{}"), 405, 405);
        assertError(get("/compatibility/subjects/pets-value/versions/latest"), 405, 405);
    }

    @Test
    void servesConfigAndRootAndAnEmptySubjectList() throws Exception {
        assertThat(get("/config").body()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));
        assertThat(get("/").body()).isEqualTo(json("{}"));
        assertThat(get("/subjects").body()).isEqualTo(json("[]"));
    }

    @Test
    void decodesPercentEncodedSubjects() throws Exception {
        assertThat(post("/subjects/a%2Fb%20c+d/versions", V1).status()).isEqualTo(200);

        assertThat(get("/subjects").body()).isEqualTo(json("[\"a/b c+d\"]"));
    }

    private void assertError(Answer answer, int status, int errorCode) {
        assertThat(answer.status()).as("HTTP status of %s", answer.body()).isEqualTo(status);
        assertThat(answer.body().get("error_code").asInt()).isEqualTo(errorCode);
        assertThat(answer.body().get("message").asText()).isNotBlank();
    }

    private Answer get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(registry.url() + path)).GET());
    }

    private Answer post(String path, String schema) throws Exception {
        return postRaw(path, JSON.writeValueAsString(Map.of("schema", schema)));
    }

    private Answer postRaw(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(registry.url() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private Answer send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), json(response.body()),
                response.headers().firstValue("Content-Type").orElse(""));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
