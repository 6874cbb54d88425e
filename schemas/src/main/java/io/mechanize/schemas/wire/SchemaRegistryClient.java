package io.mechanize.schemas.wire;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry API the fleet uses. Implementations are thread-safe and
 * throw {@link SchemaRegistryException} when the registry refuses or cannot be reached.
 */
public interface SchemaRegistryClient {

    /** Registers {@code schema} under {@code subject} (or finds it there) and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with this global id; a registry answer 404 / 40403 means the id is unknown. */
    Schema schemaById(int id);

    /** Whether {@code schema} may be registered as the next version of {@code subject}; true for a new subject. */
    boolean isCompatible(String subject, Schema schema);
}
