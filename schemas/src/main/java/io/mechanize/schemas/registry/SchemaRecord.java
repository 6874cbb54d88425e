package io.mechanize.schemas.registry;

import java.util.Objects;

/** One registration: {@code schema} is version {@code version} of {@code subject} and has global id {@code id}. */
public record SchemaRecord(String subject, int version, int id, String schema) {
    public SchemaRecord {
        Objects.requireNonNull(subject, "subject is null");
        Objects.requireNonNull(schema, "schema is null");
        if (subject.isEmpty()) {
            throw new IllegalArgumentException("subject is empty");
        }
        if (version < 1) {
            throw new IllegalArgumentException("version " + version + " of subject " + subject + " is below 1");
        }
        if (id < 1) {
            throw new IllegalArgumentException("schema id " + id + " of subject " + subject + " is below 1");
        }
    }
}
