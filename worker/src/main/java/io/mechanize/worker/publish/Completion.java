package io.mechanize.worker.publish;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Records to publish in the next transaction: the results of a finished command together with
 * its source offset, or records that answer no command (an idle workspace closed by the worker).
 *
 * @param source the command's partition, or null when the records answer no command
 */
public record Completion(TopicPartition source, long offset, List<ProducerRecord<byte[], byte[]>> records) {
    public Completion {
        records = List.copyOf(requireNonNull(records, "records is null"));
    }

    public static Completion ofCommand(TopicPartition source, long offset, List<ProducerRecord<byte[], byte[]>> records) {
        return new Completion(requireNonNull(source, "source is null"), offset, records);
    }

    public static Completion unsolicited(List<ProducerRecord<byte[], byte[]>> records) {
        return new Completion(null, -1, records);
    }

    public Optional<TopicPartition> sourcePartition() {
        return Optional.ofNullable(source);
    }
}
