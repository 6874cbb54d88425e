package io.mechanize.worker.publish;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A finished command: its source offset and the records (results, workspace state, DLQ copy)
 * that must be published in the same transaction as that offset.
 */
public record Completion(TopicPartition source, long offset, List<ProducerRecord<byte[], byte[]>> records) {
    public Completion {
        requireNonNull(source, "source is null");
        records = List.copyOf(requireNonNull(records, "records is null"));
    }
}
