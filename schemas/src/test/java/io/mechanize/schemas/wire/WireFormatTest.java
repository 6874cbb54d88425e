package io.mechanize.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.WorkerMetrics;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireFormatTest {

    private static final HexFormat HEX = HexFormat.of();

    /** A small WorkerMetrics whose encoding is derived by hand below. */
    static WorkerMetrics smallMetrics() {
        return WorkerMetrics.newBuilder()
                .setWorkerId("w1")
                .setEmittedAt(Instant.ofEpochMilli(1))
                .setUptimeMs(0)
                .setCapacity(4)
                .setActiveWorkspaces(2)
                .setCommandsConsumed(64)
                .setCommandsRejected(-1)
                .setActionsSucceeded(0)
                .setActionsFailed(0)
                .setActionTimeP50Ms(1.0)
                .setActionTimeP95Ms(0.0)
                .setActionTimeP99Ms(2.0)
                .setGauges(Map.of("a", 0.5))
                .setCounters(Map.of())
                .build();
    }

    /**
     * Avro binary: ints and longs are zig-zag varints (n -> 2n, -n -> 2n-1, 7 bits a byte, low first),
     * strings are a length then UTF-8, doubles are 8 bytes little-endian IEEE 754, maps are blocks of
     * (count, key, value...) ended by a 0 count.
     */
    static final String SMALL_METRICS_ID_42 = String.join("",
            "00", "0000002a",          // magic byte, schema id 42 big-endian
            "04", "7731",              // worker_id "w1": length 2 -> 04, 'w' '1'
            "02",                      // emitted_at 1 ms -> 02
            "00",                      // uptime_ms 0
            "08",                      // capacity 4
            "04",                      // active_workspaces 2
            "8001",                    // commands_consumed 64 -> 128 -> 0x80 0x01
            "01",                      // commands_rejected -1 -> 1
            "00", "00",                // actions_succeeded, actions_failed
            "000000000000f03f",        // p50 1.0
            "0000000000000000",        // p95 0.0
            "0000000000000040",        // p99 2.0
            "02", "0261", "000000000000e03f", "00", // gauges {"a": 0.5}: 1 entry, "a", 0.5, end
            "00");                     // counters {}: end

    @Test
    void serializesASmallRecordToTheBytesDerivedByHand() {
        FakeSchemaRegistryClient registry = new FakeSchemaRegistryClient(42);
        AvroSerializer<WorkerMetrics> serializer = new AvroSerializer<>(registry, WorkerMetrics.getClassSchema());

        byte[] bytes = serializer.serialize(Topics.METRICS, smallMetrics());

        assertThat(HEX.formatHex(bytes)).isEqualTo(SMALL_METRICS_ID_42);
    }

    @Test
    void readsTheHandDerivedBytesBack() {
        FakeSchemaRegistryClient registry = new FakeSchemaRegistryClient(1);
        registry.put(42, WorkerMetrics.getClassSchema());
        AvroDeserializer<WorkerMetrics> deserializer = new AvroDeserializer<>(registry, WorkerMetrics.class);

        WorkerMetrics read = deserializer.deserialize(Topics.METRICS, HEX.parseHex(SMALL_METRICS_ID_42));

        assertThat(read).isEqualTo(smallMetrics());
        assertThat(read.getEmittedAt()).isEqualTo(Instant.ofEpochMilli(1));
    }

    @Test
    void framesAndParsesTheHeader() {
        byte[] framed = WireFormat.frame(0x01020304, new byte[] {9, 8});

        assertThat(HEX.formatHex(framed)).isEqualTo("00010203040908");
        WireFormat.Framed parsed = WireFormat.parse(framed);
        assertThat(parsed.schemaId()).isEqualTo(0x01020304);
        assertThat(parsed.payloadOffset()).isEqualTo(5);
        assertThat(parsed.payloadLength()).isEqualTo(2);
        assertThat(parsed.payload().get(0)).isEqualTo((byte) 9);
        assertThat(parsed.payload().remaining()).isEqualTo(2);
    }

    @Test
    void headerOnlyIsAnEmptyPayload() {
        assertThat(WireFormat.parse(WireFormat.frame(7, new byte[0])).payloadLength()).isZero();
    }

    @Test
    void rejectsAWrongMagicByte() {
        assertThatThrownBy(() -> WireFormat.parse("{\"a\":1}".getBytes()))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("expected magic byte 0x00 but found 0x7b");
    }

    @Test
    void rejectsAValueShorterThanTheHeader() {
        assertThatThrownBy(() -> WireFormat.parse(new byte[] {0, 0, 1}))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("value of 3 bytes is shorter than the 5-byte header");
    }

    @Test
    void rejectsANullValue() {
        assertThatThrownBy(() -> WireFormat.parse(null))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("value is null");
    }

    @Test
    void refusesANegativeSchemaIdWhenFraming() {
        assertThatThrownBy(() -> WireFormat.frame(-1, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema id -1 is negative");
    }
}
