package io.mechanize.worker.publish;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.RejectionStage;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * The dead-letter copy of a rejected command: the original key and value bytes, untouched, with
 * {@code mechanize.error.*} headers that say where it came from and why it was refused.
 */
public final class DeadLetters {
    public static final String HEADER_PREFIX = "mechanize.error.";

    private DeadLetters() {}

    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> source, RejectionStage stage,
            String reason, Throwable cause, String workerId) {
        var record = new ProducerRecord<>(Topics.COMMANDS_DLQ, null, source.key(), source.value());
        Headers headers = record.headers();
        source.headers().forEach(h -> headers.add(h.key(), h.value()));
        header(headers, "topic", source.topic());
        header(headers, "partition", Integer.toString(source.partition()));
        header(headers, "offset", Long.toString(source.offset()));
        header(headers, "stage", stage.name());
        header(headers, "exception.class", cause == null ? "" : cause.getClass().getName());
        header(headers, "exception.message", reason);
        header(headers, "worker", workerId);
        return record;
    }

    private static void header(Headers headers, String name, String value) {
        headers.add(HEADER_PREFIX + name, value.getBytes(StandardCharsets.UTF_8));
    }
}
