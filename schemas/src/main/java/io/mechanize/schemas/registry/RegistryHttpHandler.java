package io.mechanize.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Serves Confluent's REST shapes over {@link RegistryState}: routing, JSON in and out, error bodies. */
final class RegistryHttpHandler implements HttpHandler {

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final int MAX_REQUEST_BYTES = 8 * 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(RegistryHttpHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryState state;

    RegistryHttpHandler(RegistryState state) {
        this.state = state;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        try (exchange) {
            int status = 200;
            Object body;
            try {
                body = answer(Route.parse(method, path), exchange);
            } catch (RegistryException e) {
                status = e.httpStatus();
                body = error(e.errorCode(), e.getMessage());
            } catch (SchemaStoreException e) {
                LOG.error("schema store failed during {} {}", method, path, e);
                status = 500;
                body = error(50001, "Error in the backend data store: " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("unexpected failure during {} {}", method, path, e);
                status = 500;
                body = error(500, "Internal error: " + e);
            }
            LOG.debug("{} {} -> {}", method, path, status);
            byte[] bytes = JSON.writeValueAsBytes(body);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private Object answer(Route route, HttpExchange exchange) throws IOException {
        return switch (route) {
            case Route.Root root -> Map.of();
            case Route.GetConfig config -> Map.of("compatibilityLevel", "BACKWARD");
            case Route.ListSubjects list -> state.subjects();
            case Route.ListVersions list -> state.versions(list.subject());
            case Route.Register register -> Map.of("id", state.register(register.subject(), schemaOf(exchange)));
            case Route.GetVersion get -> versionBody(state.version(get.subject(), get.version()));
            case Route.SchemaById byId -> Map.of("schema", state.schemaById(parseId(byId.id())));
            case Route.CheckCompatibility check -> Map.of("is_compatible",
                    state.isCompatible(check.subject(), check.version(), schemaOf(exchange)));
        };
    }

    private static Map<String, Object> versionBody(SchemaRecord record) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("subject", record.subject());
        body.put("version", record.version());
        body.put("id", record.id());
        body.put("schema", record.schema());
        return body;
    }

    private static Map<String, Object> error(int code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error_code", code);
        body.put("message", message);
        return body;
    }

    private static int parseId(String id) {
        try {
            return Integer.parseInt(id);
        } catch (NumberFormatException e) {
            throw RegistryException.schemaNotFound(id);
        }
    }

    /** The "schema" string of a request body; only AVRO schemas (the default type) are accepted. */
    private static String schemaOf(HttpExchange exchange) throws IOException {
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_REQUEST_BYTES + 1);
        }
        if (bytes.length > MAX_REQUEST_BYTES) {
            throw RegistryException.badRequest("request body is larger than " + MAX_REQUEST_BYTES + " bytes");
        }
        JsonNode body;
        try {
            body = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw RegistryException.badRequest("request body is not JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            throw RegistryException.badRequest("request body is not a JSON object with a \"schema\" field");
        }
        String type = body.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw RegistryException.invalidSchema("schemaType " + type + " is not supported, only AVRO");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw RegistryException.invalidSchema("the request body has no \"schema\" string");
        }
        return schema.asText();
    }
}
