package io.mechanize.cli.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mechanize.schemas.avro.SimulationEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

/**
 * Result events as plain JSON objects, one per line: {@code type} (the body's record name),
 * the envelope's fields, then the body's fields, all in snake_case as in the schema. Unlike
 * Avro's own JSON encoding, unions are not wrapped, so pandas or jq read the lines directly.
 */
public final class EventJson {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private EventJson() {}

    public static Map<String, Object> toMap(SimulationEvent event) {
        Map<String, Object> out = new LinkedHashMap<>();
        IndexedRecord body = (IndexedRecord) event.getBody();
        out.put("type", body.getSchema().getName());
        out.put("workspace_id", event.getWorkspaceId());
        out.put("run_id", event.getRunId());
        out.put("command_seq", event.getCommandSeq());
        out.put("worker_id", event.getWorkerId());
        out.put("emitted_at", event.getEmittedAt().toString());
        out.putAll(record(body));
        return out;
    }

    public static String toJsonLine(SimulationEvent event) {
        try {
            return JSON.writeValueAsString(toMap(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write event as JSON", e);
        }
    }

    private static Map<String, Object> record(IndexedRecord record) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Schema.Field field : record.getSchema().getFields()) {
            out.put(field.name(), value(record.get(field.pos())));
        }
        return out;
    }

    private static Object value(Object v) {
        if (v == null || v instanceof Boolean || v instanceof Number) {
            return v;
        }
        if (v instanceof CharSequence s) {
            return s.toString();
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        if (v instanceof GenericEnumSymbol<?> e) {
            return e.toString();
        }
        if (v instanceof Instant i) {
            return i.toString();
        }
        if (v instanceof ByteBuffer b) {
            ByteBuffer copy = b.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (v instanceof IndexedRecord r) {
            return record(r);
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(item -> out.add(value(item)));
            return out;
        }
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, item) -> out.put(k.toString(), value(item)));
            return out;
        }
        return v.toString();
    }
}
