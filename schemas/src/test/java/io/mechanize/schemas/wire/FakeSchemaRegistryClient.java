package io.mechanize.schemas.wire;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/** An in-process registry for serde tests: ids from {@code firstId}, counts every call. */
final class FakeSchemaRegistryClient implements SchemaRegistryClient {

    final AtomicInteger registerCalls = new AtomicInteger();
    final AtomicInteger lookupCalls = new AtomicInteger();
    private final AtomicInteger nextId;
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySchema = new ConcurrentHashMap<>();

    FakeSchemaRegistryClient(int firstId) {
        this.nextId = new AtomicInteger(firstId);
    }

    /** Puts a schema under a chosen id, as if another producer had registered it. */
    void put(int id, Schema schema) {
        byId.put(id, schema);
        idsBySchema.put(schema.toString(), id);
    }

    @Override
    public int register(String subject, Schema schema) {
        registerCalls.incrementAndGet();
        int id = idsBySchema.computeIfAbsent(schema.toString(), s -> nextId.getAndIncrement());
        byId.put(id, schema);
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        lookupCalls.incrementAndGet();
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND,
                    "schema registry fake answered 404 (error 40403 Schema not found) to GET /schemas/ids/" + id);
        }
        return schema;
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        return true;
    }
}
