package io.mechanize.schemas.wire;

import java.util.OptionalInt;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A value is not a valid Confluent-framed Avro value of a known schema: wrong magic byte, too short,
 * unknown schema id, or bytes that are not Avro of the writer schema. Bad input, never a transient fault.
 */
public class WireFormatException extends SerializationException {

    private final Integer schemaId;

    public WireFormatException(String message) {
        this(message, null, null);
    }

    public WireFormatException(String message, Integer schemaId, Throwable cause) {
        super(message, cause);
        this.schemaId = schemaId;
    }

    /** The schema id read from the header, when the header could be read. */
    public OptionalInt schemaId() {
        return schemaId == null ? OptionalInt.empty() : OptionalInt.of(schemaId);
    }
}
