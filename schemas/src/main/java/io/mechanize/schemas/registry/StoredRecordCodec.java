package io.mechanize.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON keys and values of the {@code _schemas} topic, in the shapes Confluent's registry uses:
 * key {@code {"keytype":"SCHEMA","subject":..,"version":..,"magic":1}}, value
 * {@code {"subject","version","id","schema","deleted":false}}.
 */
final class StoredRecordCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredRecordCodec() {
    }

    static String key(SchemaRecord record) {
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("keytype", "SCHEMA");
        key.put("subject", record.subject());
        key.put("version", record.version());
        key.put("magic", 1);
        return write(key);
    }

    static String value(SchemaRecord record) {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("subject", record.subject());
        value.put("version", record.version());
        value.put("id", record.id());
        value.put("schema", record.schema());
        value.put("deleted", false);
        return write(value);
    }

    /**
     * The registration a topic record holds; empty for records that are not live schemas (other key
     * types such as CONFIG or NOOP, tombstones, soft-deleted versions). Throws on malformed JSON.
     */
    static Optional<SchemaRecord> read(String key, String value) {
        JsonNode keyNode = parse(key, "key");
        if (!"SCHEMA".equals(keyNode.path("keytype").asText()) || value == null) {
            return Optional.empty();
        }
        JsonNode node = parse(value, "value");
        if (node.path("deleted").asBoolean(false)) {
            return Optional.empty();
        }
        if (!node.path("subject").isTextual() || !node.path("version").canConvertToInt()
                || !node.path("id").canConvertToInt() || !node.path("schema").isTextual()) {
            throw new IllegalArgumentException("schema record value lacks subject, version, id or schema: " + value);
        }
        return Optional.of(new SchemaRecord(node.get("subject").asText(), node.get("version").asInt(),
                node.get("id").asInt(), node.get("schema").asText()));
    }

    private static JsonNode parse(String json, String what) {
        try {
            JsonNode node = JSON.readTree(json == null ? "" : json);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("schema record " + what + " is not a JSON object: " + json);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("schema record " + what + " is not JSON: " + json, e);
        }
    }

    private static String write(Map<String, Object> map) {
        try {
            return JSON.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a schema record as JSON", e);
        }
    }
}
