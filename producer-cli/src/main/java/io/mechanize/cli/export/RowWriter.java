package io.mechanize.cli.export;

import java.io.IOException;
import org.apache.avro.generic.GenericRecord;

/** Writes rows of one table to one file. */
public interface RowWriter extends AutoCloseable {
    void write(GenericRecord row) throws IOException;

    @Override
    void close() throws IOException;
}
