package io.mechanize.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.WorkerMetrics;
import io.mechanize.schemas.avro.WorkspaceState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class AvroSerdeTest {

    private final FakeSchemaRegistryClient registry = new FakeSchemaRegistryClient(1);
    private final AvroSerializer<WorkerMetrics> serializer =
            new AvroSerializer<>(registry, WorkerMetrics.getClassSchema());
    private final AvroDeserializer<WorkerMetrics> deserializer = new AvroDeserializer<>(registry, WorkerMetrics.class);

    @Test
    void roundTripsAndRegistersOncePerTopic() {
        WorkerMetrics metrics = WireFormatTest.smallMetrics();

        byte[] first = serializer.serialize(Topics.METRICS, metrics);
        byte[] second = serializer.serialize(Topics.METRICS, metrics);

        assertThat(second).isEqualTo(first);
        assertThat(registry.registerCalls).hasValue(1);
        assertThat(deserializer.deserialize(Topics.METRICS, first)).isEqualTo(metrics);
        assertThat(deserializer.deserialize(Topics.METRICS, second)).isEqualTo(metrics);
        assertThat(registry.lookupCalls).hasValue(1);
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertThat(serializer.serialize(Topics.METRICS, null)).isNull();
        assertThat(deserializer.deserialize(Topics.METRICS, null)).isNull();
    }

    @Test
    void readsAValueWrittenWithAnOlderSchemaFillingDefaults() throws IOException {
        Schema older = new Schema.Parser().parse("""
                {"type":"record","name":"WorkerMetrics","namespace":"io.mechanize.schemas.avro","fields":[
                 {"name":"worker_id","type":"string"},
                 {"name":"emitted_at","type":{"type":"long","logicalType":"timestamp-millis"}},
                 {"name":"uptime_ms","type":"long"},{"name":"capacity","type":"int"},
                 {"name":"active_workspaces","type":"int"},{"name":"commands_consumed","type":"long"},
                 {"name":"commands_rejected","type":"long"},{"name":"actions_succeeded","type":"long"},
                 {"name":"actions_failed","type":"long"},{"name":"action_time_p50_ms","type":"double"},
                 {"name":"action_time_p95_ms","type":"double"},{"name":"action_time_p99_ms","type":"double"}]}
                """);
        registry.put(7, older);
        GenericRecord old = new GenericData.Record(older);
        for (Schema.Field field : older.getFields()) {
            old.put(field.name(), field.schema().getType() == Schema.Type.STRING ? "w-old"
                    : field.schema().getType() == Schema.Type.INT ? 3
                    : field.schema().getType() == Schema.Type.DOUBLE ? 1.5 : 11L);
        }

        WorkerMetrics read = deserializer.deserialize(Topics.METRICS, WireFormat.frame(7, avro(older, old)));

        assertThat(read.getWorkerId()).isEqualTo("w-old");
        assertThat(read.getEmittedAt()).isEqualTo(Instant.ofEpochMilli(11));
        assertThat(read.getCapacity()).isEqualTo(3);
        assertThat(read.getGauges()).isEmpty();
        assertThat(read.getCounters()).isEmpty();
    }

    @Test
    void unknownSchemaIdIsBadInputNamingTheId() {
        byte[] value = WireFormat.frame(99, new byte[] {2, 0});

        assertThatThrownBy(() -> deserializer.deserialize(Topics.METRICS, value))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.schemaId()).hasValue(99))
                .hasMessageContaining("unknown schema id 99")
                .hasCauseInstanceOf(SchemaRegistryException.class);
    }

    @Test
    void aRegistryOutageIsNotBadInput() {
        SchemaRegistryClient down = new SchemaRegistryClient() {
            @Override
            public int register(String subject, Schema schema) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Schema schemaById(int id) {
                throw new SchemaRegistryException(-1, -1, "cannot reach schema registry at http://127.0.0.1:1: refused");
            }

            @Override
            public boolean isCompatible(String subject, Schema schema) {
                throw new UnsupportedOperationException();
            }
        };
        AvroDeserializer<WorkerMetrics> reader = new AvroDeserializer<>(down, WorkerMetrics.class);

        assertThatThrownBy(() -> reader.deserialize(Topics.METRICS, WireFormat.frame(1, new byte[] {0})))
                .isExactlyInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("cannot reach schema registry");
    }

    @Test
    void trailingGarbageAfterTheRecordIsRejected() {
        byte[] good = serializer.serialize(Topics.METRICS, WireFormatTest.smallMetrics());
        byte[] withTrailer = Arrays.copyOf(good, good.length + 1);

        assertThatThrownBy(() -> deserializer.deserialize(Topics.METRICS, withTrailer))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("trailing bytes")
                .hasMessageContaining("schema id 1");
    }

    @Test
    void truncatedBodyIsRejectedWithTheCause() {
        byte[] good = serializer.serialize(Topics.METRICS, WireFormatTest.smallMetrics());
        byte[] truncated = Arrays.copyOf(good, good.length - 3);

        assertThatThrownBy(() -> deserializer.deserialize(Topics.METRICS, truncated))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("is not Avro of schema id 1")
                .hasCauseInstanceOf(java.io.EOFException.class);
    }

    @Test
    void bytesThatAreNotAvroOfTheSchemaAreRejected() {
        serializer.serialize(Topics.METRICS, WireFormatTest.smallMetrics());
        // string length -1 (zig-zag 01) for worker_id
        byte[] garbage = WireFormat.frame(1, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

        assertThatThrownBy(() -> deserializer.deserialize(Topics.METRICS, garbage))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("not Avro of schema id 1")
                .hasCauseInstanceOf(RuntimeException.class);
    }

    @Test
    void aWriterSchemaOfAnotherRecordCannotBeReadAsT() {
        registry.put(5, WorkspaceState.getClassSchema());

        assertThatThrownBy(() -> deserializer.deserialize(Topics.METRICS, WireFormat.frame(5, new byte[] {0})))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("schema id 5 (io.mechanize.schemas.avro.WorkspaceState) cannot be read as"
                        + " io.mechanize.schemas.avro.WorkerMetrics");
    }

    @Test
    @Timeout(20)
    void oneSerializerServesManyVirtualThreads() throws Exception {
        List<Future<WorkerMetrics>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 500; i++) {
                WorkerMetrics metrics = WorkerMetrics.newBuilder(WireFormatTest.smallMetrics())
                        .setWorkerId("w" + i).setCapacity(i).build();
                results.add(threads.submit(() ->
                        deserializer.deserialize(Topics.METRICS, serializer.serialize(Topics.METRICS, metrics))));
            }
        }
        for (int i = 0; i < results.size(); i++) {
            assertThat(results.get(i).get().getWorkerId()).isEqualTo("w" + i);
            assertThat(results.get(i).get().getCapacity()).isEqualTo(i);
        }
        assertThat(registry.registerCalls).hasValue(1);
        assertThat(registry.lookupCalls).hasValue(1);
    }

    private static byte[] avro(Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
