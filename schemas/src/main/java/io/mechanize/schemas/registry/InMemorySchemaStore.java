package io.mechanize.schemas.registry;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A store that forgets everything when the process ends: for tests and throwaway registries. */
public final class InMemorySchemaStore implements SchemaStore {

    private final List<SchemaRecord> records = new CopyOnWriteArrayList<>();

    @Override
    public List<SchemaRecord> loadAll() {
        return List.copyOf(records);
    }

    @Override
    public void append(SchemaRecord record) {
        records.add(record);
    }

    @Override
    public void close() {
        // nothing to release
    }
}
