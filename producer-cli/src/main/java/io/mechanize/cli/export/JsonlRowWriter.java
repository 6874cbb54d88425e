package io.mechanize.cli.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/** One JSON object per row, the columns in schema order; timestamps as ISO-8601 strings. */
final class JsonlRowWriter implements RowWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    JsonlRowWriter(Path file) throws IOException {
        this.out = Files.newBufferedWriter(file);
    }

    @Override
    public void write(GenericRecord row) throws IOException {
        Map<String, Object> object = new LinkedHashMap<>();
        for (Schema.Field field : row.getSchema().getFields()) {
            Object value = row.get(field.pos());
            if (field.schema().getLogicalType() instanceof LogicalTypes.TimestampMillis && value instanceof Long ms) {
                value = Instant.ofEpochMilli(ms).toString();
            }
            object.put(field.name(), value instanceof CharSequence s ? s.toString() : value);
        }
        out.write(JSON.writeValueAsString(object));
        out.newLine();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
