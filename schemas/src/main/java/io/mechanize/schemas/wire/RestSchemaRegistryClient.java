package io.mechanize.schemas.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaRegistryClient} over the Confluent Schema Registry REST API (works against a real
 * Confluent registry and against {@code io.mechanize.schemas.registry.EmbeddedSchemaRegistry}).
 * Caches subject+schema -> id and id -> schema, so the hot path asks the registry once per schema.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient, AutoCloseable {

    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_IN_MESSAGE = 200;

    private final String baseUrl;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final java.util.Optional<String> authorization;
    private final OnceCache<SubjectSchema, Integer> ids = new OnceCache<>();
    private final OnceCache<Integer, Schema> schemas = new OnceCache<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    public RestSchemaRegistryClient(String baseUrl) {
        this(baseUrl, RegistryClientSettings.NONE);
    }

    /** A client that authenticates and trusts as {@code settings} say (HTTP Basic, a truststore for https). */
    public RestSchemaRegistryClient(String baseUrl, RegistryClientSettings settings) {
        this(baseUrl, settings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
    }

    public RestSchemaRegistryClient(String baseUrl, Duration connectTimeout, Duration requestTimeout) {
        this(baseUrl, RegistryClientSettings.NONE, connectTimeout, requestTimeout);
    }

    public RestSchemaRegistryClient(String baseUrl, RegistryClientSettings settings, Duration connectTimeout,
            Duration requestTimeout) {
        Objects.requireNonNull(settings, "settings is null");
        Objects.requireNonNull(baseUrl, "schema registry url is null");
        String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        URI uri;
        try {
            uri = URI.create(trimmed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schema registry url '" + baseUrl + "' is not an http(s) URL: "
                    + e.getMessage(), e);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("schema registry url '" + baseUrl + "' is not an http(s) URL");
        }
        // credentials in the URL are sent as a header (basic.auth.credentials.source=URL), never logged
        this.baseUrl = uri.getRawUserInfo() == null ? trimmed : trimmed.replace(uri.getRawUserInfo() + "@", "");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout is null");
        this.authorization = settings.authorizationHeader();
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Objects.requireNonNull(connectTimeout, "connectTimeout is null"));
        settings.sslContext().ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    public String url() {
        return baseUrl;
    }

    @Override
    public int register(String subject, Schema schema) {
        Objects.requireNonNull(subject, "subject is null");
        Objects.requireNonNull(schema, "schema is null");
        return ids.get(new SubjectSchema(subject, schema), key -> {
            JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
            int id = intField(answer, "id", "POST /subjects/" + subject + "/versions");
            schemas.putIfAbsent(id, schema);
            LOG.info("schema {} registered under subject {} with id {} at {}", schema.getFullName(), subject, id, baseUrl);
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        return schemas.get(id, key -> {
            String path = "/schemas/ids/" + id;
            JsonNode answer = send("GET", path, null);
            JsonNode text = answer.get("schema");
            if (text == null || !text.isTextual()) {
                throw unexpectedBody("GET", path, 200, answer.toString(), null);
            }
            try {
                return new Schema.Parser().parse(text.asText());
            } catch (RuntimeException e) {
                throw new SchemaRegistryException(200, SchemaRegistryException.NO_ANSWER,
                        "schema registry " + baseUrl + " returned a schema for id " + id
                                + " that does not parse as Avro: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        Objects.requireNonNull(subject, "subject is null");
        Objects.requireNonNull(schema, "schema is null");
        String path = "/compatibility/subjects/" + encode(subject) + "/versions/latest";
        try {
            JsonNode answer = send("POST", path, schemaBody(schema));
            JsonNode compatible = answer.get("is_compatible");
            if (compatible == null || !compatible.isBoolean()) {
                throw unexpectedBody("POST", path, 200, answer.toString(), null);
            }
            return compatible.asBoolean();
        } catch (SchemaRegistryException e) {
            if (e.httpStatus() == 404 && (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND
                    || e.errorCode() == 40402)) {
                return true; // no version to be compatible with: anything goes
            }
            throw e;
        }
    }

    @Override
    public void close() {
        http.close();
    }

    private static String schemaBody(Schema schema) {
        try {
            return JSON.writeValueAsString(Map.of("schema", schema.toString()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a schema as JSON", e);
        }
    }

    private JsonNode send(String method, String path, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(requestTimeout)
                .header("Accept", CONTENT_TYPE + ", application/json")
                .header("Content-Type", CONTENT_TYPE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        authorization.ifPresent(value -> builder.header("Authorization", value));
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw new SchemaRegistryException(SchemaRegistryException.NO_ANSWER, SchemaRegistryException.NO_ANSWER,
                    "schema registry at " + baseUrl + " did not answer " + method + " " + path
                            + " within " + requestTimeout + ": " + e, e);
        } catch (IOException e) {
            throw new SchemaRegistryException(SchemaRegistryException.NO_ANSWER, SchemaRegistryException.NO_ANSWER,
                    "cannot reach schema registry at " + baseUrl + ": " + e + " (" + method + " " + path + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(SchemaRegistryException.NO_ANSWER, SchemaRegistryException.NO_ANSWER,
                    "interrupted while waiting for schema registry at " + baseUrl + " (" + method + " " + path + ")", e);
        }
        return readAnswer(method, path, response.statusCode(), response.body());
    }

    private JsonNode readAnswer(String method, String path, int status, String body) {
        if (status == 401 || status == 403) {
            throw new SchemaRegistryException(status, status, "schema registry " + baseUrl + " answered " + status
                    + (status == 401 ? " (not authenticated: " : " (not authorized: ")
                    + (authorization.isPresent() ? "check the user and password given" : "it needs credentials")
                    + ", e.g. " + RegistryClientSettings.USER_INFO + "=USER:PASSWORD) to " + method + " " + path);
        }
        JsonNode json;
        try {
            json = JSON.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw unexpectedBody(method, path, status, body, e);
        }
        if (status / 100 == 2) {
            if (json == null || !json.isObject()) {
                throw unexpectedBody(method, path, status, body, null);
            }
            return json;
        }
        if (json == null || !json.isObject() || !json.path("error_code").canConvertToInt()) {
            throw unexpectedBody(method, path, status, body, null);
        }
        int errorCode = json.get("error_code").asInt();
        String message = json.path("message").asText("");
        throw new SchemaRegistryException(status, errorCode, "schema registry " + baseUrl + " answered " + status
                + " (error " + errorCode + " " + message + ") to " + method + " " + path);
    }

    private SchemaRegistryException unexpectedBody(String method, String path, int status, String body, Throwable cause) {
        String shown = body == null ? "" : body;
        if (shown.length() > MAX_BODY_IN_MESSAGE) {
            shown = shown.substring(0, MAX_BODY_IN_MESSAGE) + "...";
        }
        return new SchemaRegistryException(status, SchemaRegistryException.NO_ANSWER, "schema registry " + baseUrl
                + " answered " + status + " to " + method + " " + path
                + " with a body that is not the registry's JSON: '" + shown + "'", cause);
    }

    private int intField(JsonNode answer, String field, String request) {
        JsonNode value = answer.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new SchemaRegistryException(200, SchemaRegistryException.NO_ANSWER, "schema registry " + baseUrl
                    + " answered " + request + " without an integer '" + field + "': " + answer);
        }
        return value.asInt();
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
