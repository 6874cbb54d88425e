package io.mechanize.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StoredRecordCodecTest {

    private final SchemaRecord record = new SchemaRecord("pets-value", 3, 7, "\"string\"");

    @Test
    void writesConfluentShapedKeysAndValues() {
        assertThat(StoredRecordCodec.key(record))
                .isEqualTo("{\"keytype\":\"SCHEMA\",\"subject\":\"pets-value\",\"version\":3,\"magic\":1}");
        assertThat(StoredRecordCodec.value(record)).isEqualTo(
                "{\"subject\":\"pets-value\",\"version\":3,\"id\":7,\"schema\":\"\\\"string\\\"\",\"deleted\":false}");
    }

    @Test
    void readsWhatItWrites() {
        assertThat(StoredRecordCodec.read(StoredRecordCodec.key(record), StoredRecordCodec.value(record)))
                .contains(record);
    }

    @Test
    void skipsOtherKeyTypesTombstonesAndDeletedVersions() {
        assertThat(StoredRecordCodec.read("{\"keytype\":\"NOOP\",\"magic\":0}", "")).isEmpty();
        assertThat(StoredRecordCodec.read(StoredRecordCodec.key(record), null)).isEmpty();
        assertThat(StoredRecordCodec.read(StoredRecordCodec.key(record),
                StoredRecordCodec.value(record).replace("false", "true"))).isEmpty();
    }

    @Test
    void refusesMalformedRecordsSayingWhatIsWrong() {
        assertThatThrownBy(() -> StoredRecordCodec.read("nope", "{}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key is not JSON");
        assertThatThrownBy(() -> StoredRecordCodec.read(StoredRecordCodec.key(record), "{\"subject\":\"x\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lacks subject, version, id or schema");
    }
}
