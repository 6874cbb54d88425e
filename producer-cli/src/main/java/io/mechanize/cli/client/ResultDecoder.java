package io.mechanize.cli.client;

import io.mechanize.schemas.avro.SimulationEvent;
import io.mechanize.schemas.wire.AvroDeserializer;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Decodes result records for the CLI's readers; an unreadable one is logged and skipped, never fatal. */
final class ResultDecoder {
    private static final Logger log = LoggerFactory.getLogger(ResultDecoder.class);

    private final AvroDeserializer<SimulationEvent> events;

    ResultDecoder(AvroDeserializer<SimulationEvent> events) {
        this.events = events;
    }

    Optional<SimulationEvent> decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            return Optional.of(events.deserialize(record.topic(), record.value()));
        } catch (RuntimeException e) {
            log.warn("skipping an unreadable result at {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            return Optional.empty();
        }
    }
}
