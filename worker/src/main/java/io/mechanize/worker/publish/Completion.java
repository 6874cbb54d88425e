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
 * @param epoch how many times this worker had lost {@code source} when it took the command: a
 *     completion from an earlier epoch belongs to an ownership that ended and is dropped
 */
public record Completion(TopicPartition source, long offset, int epoch,
        List<ProducerRecord<byte[], byte[]>> records) {
    public Completion {
        records = List.copyOf(requireNonNull(records, "records is null"));
    }

    public static Completion ofCommand(TopicPartition source, long offset, int epoch,
            List<ProducerRecord<byte[], byte[]>> records) {
        return new Completion(requireNonNull(source, "source is null"), offset, epoch, records);
    }

    public static Completion unsolicited(List<ProducerRecord<byte[], byte[]>> records) {
        return new Completion(null, -1, 0, records);
    }

    public Optional<TopicPartition> sourcePartition() {
        return Optional.ofNullable(source);
    }
}
