package io.mechanize.schemas.wire;

import io.mechanize.schemas.AvroTrust;
import java.io.IOException;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro values into {@code T}, resolving the writer's schema (fetched by id,
 * once) to T's schema, so values written with an older compatible schema read fine. Bad input
 * throws {@link WireFormatException}; a registry that cannot answer throws
 * {@link SchemaRegistryException} (a fault to retry, not bad input). A null value (a tombstone)
 * reads as null. Thread-safe.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private final SchemaRegistryClient registry;
    private final Schema readerSchema;
    private final OnceCache<Integer, SpecificDatumReader<T>> readers = new OnceCache<>();

    public AvroDeserializer(SchemaRegistryClient registry, Class<T> type) {
        this(registry, schemaOf(type));
    }

    public AvroDeserializer(SchemaRegistryClient registry, Schema readerSchema) {
        AvroTrust.trustContractClasses();
        this.registry = Objects.requireNonNull(registry, "registry is null");
        this.readerSchema = Objects.requireNonNull(readerSchema, "readerSchema is null");
    }

    private static Schema schemaOf(Class<?> type) {
        Objects.requireNonNull(type, "type is null");
        AvroTrust.trustContractClasses();
        return SpecificData.getForClass(type).getSchema(type);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        WireFormat.Framed framed = WireFormat.parse(data);
        int id = framed.schemaId();
        SpecificDatumReader<T> reader = readers.get(id, this::readerFor);
        BinaryDecoder decoder = DecoderFactory.get()
                .binaryDecoder(data, framed.payloadOffset(), framed.payloadLength(), null);
        T record;
        try {
            record = reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException("value of " + data.length + " bytes on topic " + topic
                    + " is not Avro of schema id " + id + " (" + reader.getSchema().getFullName() + "): " + e, id, e);
        }
        try {
            if (!decoder.isEnd()) {
                throw new WireFormatException("value of " + data.length + " bytes on topic " + topic
                        + " has trailing bytes after the Avro record of schema id " + id, id, null);
            }
        } catch (IOException e) {
            throw new WireFormatException("cannot check the end of a value on topic " + topic, id, e);
        }
        return record;
    }

    private SpecificDatumReader<T> readerFor(int id) {
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.isSchemaNotFound()) {
                throw new WireFormatException("unknown schema id " + id + ": the registry has no such schema", id, e);
            }
            throw e;
        }
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new WireFormatException("values of schema id " + id + " (" + writerSchema.getFullName()
                    + ") cannot be read as " + readerSchema.getFullName() + ": "
                    + compatibility.getResult().getIncompatibilities(), id, null);
        }
        return new SpecificDatumReader<>(writerSchema, readerSchema, SpecificData.getForSchema(readerSchema));
    }
}
