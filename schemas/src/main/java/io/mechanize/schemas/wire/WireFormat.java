package io.mechanize.schemas.wire;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Confluent's wire format: byte {@code 0x00}, the schema id as a big-endian int32, then the Avro
 * binary body. Any Confluent deserializer, Kafka Connect, ksqlDB or Flink job reads it.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    /** Magic byte plus the int32 schema id. */
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** A parsed value: the schema id and the Avro body, which is {@code value[HEADER_SIZE..]}. */
    public record Framed(int schemaId, byte[] value) {
        public Framed {
            Objects.requireNonNull(value, "value is null");
            if (value.length < HEADER_SIZE) {
                throw new IllegalArgumentException("value of " + value.length + " bytes has no room for the header");
            }
        }

        public int payloadOffset() {
            return HEADER_SIZE;
        }

        public int payloadLength() {
            return value.length - HEADER_SIZE;
        }

        /** A read-only view of the Avro body, without copying. */
        public ByteBuffer payload() {
            return ByteBuffer.wrap(value, HEADER_SIZE, payloadLength()).slice().asReadOnlyBuffer();
        }
    }

    /** Frames an Avro body with the magic byte and {@code schemaId}. */
    public static byte[] frame(int schemaId, byte[] avro) {
        Objects.requireNonNull(avro, "avro body is null");
        if (schemaId < 0) {
            throw new IllegalArgumentException("schema id " + schemaId + " is negative; registry ids are >= 0");
        }
        byte[] framed = new byte[HEADER_SIZE + avro.length];
        ByteBuffer.wrap(framed).put(MAGIC_BYTE).putInt(schemaId).put(avro);
        return framed;
    }

    /** Reads the header of a framed value; throws {@link WireFormatException} saying what was wrong. */
    public static Framed parse(byte[] value) {
        if (value == null) {
            throw new WireFormatException(
                    "value is null: a Confluent-framed Avro value has at least the 5-byte header");
        }
        if (value.length < HEADER_SIZE) {
            throw new WireFormatException("value of " + value.length
                    + " bytes is shorter than the 5-byte header (magic byte 0x00 + int32 schema id)");
        }
        if (value[0] != MAGIC_BYTE) {
            throw new WireFormatException(String.format(
                    "expected magic byte 0x00 but found 0x%02x: not a Confluent-framed Avro value", value[0] & 0xff));
        }
        return new Framed(ByteBuffer.wrap(value, 1, 4).getInt(), value);
    }
}
