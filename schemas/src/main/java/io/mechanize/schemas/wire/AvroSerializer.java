package io.mechanize.schemas.wire;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.AvroTrust;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes records in Confluent's wire format. The schema is registered under {@code <topic>-value}
 * on the first record sent to each topic, once; afterwards serializing does no I/O. Thread-safe.
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private final SchemaRegistryClient registry;
    private final Schema schema;
    private final SpecificDatumWriter<T> writer;
    private final OnceCache<String, Integer> idsByTopic = new OnceCache<>();

    public AvroSerializer(SchemaRegistryClient registry, Schema schema) {
        AvroTrust.trustContractClasses();
        this.registry = Objects.requireNonNull(registry, "registry is null");
        this.schema = Objects.requireNonNull(schema, "schema is null");
        this.writer = new SpecificDatumWriter<>(schema);
    }

    /** The id under which this serializer's schema is registered for {@code topic}; registers it if needed. */
    public int schemaId(String topic) {
        Objects.requireNonNull(topic, "topic is null");
        return idsByTopic.get(topic, t -> registry.register(Topics.valueSubject(t), schema));
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (data.getSchema() != schema && !data.getSchema().getFullName().equals(schema.getFullName())) {
            throw new SerializationException("cannot serialize a " + data.getSchema().getFullName()
                    + " for topic " + topic + " with a serializer of " + schema.getFullName());
        }
        int id = schemaId(topic);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(WireFormat.MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            writer.write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot serialize " + schema.getFullName() + " for topic " + topic
                    + " with schema id " + id + ": " + e, e);
        }
        return out.toByteArray();
    }
}
