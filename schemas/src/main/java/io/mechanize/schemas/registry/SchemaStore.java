package io.mechanize.schemas.registry;

import java.util.List;

/**
 * Where the registry keeps its registrations. The registry is the only writer: it loads everything
 * once at start and appends each new registration, which must be durable when {@link #append} returns.
 */
public interface SchemaStore extends AutoCloseable {

    /** Every registration stored so far, oldest first. */
    List<SchemaRecord> loadAll();

    /** Stores one registration durably; throws {@link SchemaStoreException} when it cannot. */
    void append(SchemaRecord record);

    @Override
    void close();
}
