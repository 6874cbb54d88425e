package io.mechanize.worker.consume;

import io.mechanize.schemas.avro.RejectionStage;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.SchemaRegistryException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns raw command records into {@link DecodedRecord}s: size check, wire-format decode, then
 * {@link CommandValidator}. Never throws for bad input: a bad record must not stop its partition.
 */
public final class CommandDecoder {
    private final AvroDeserializer<SimulationCommand> deserializer;
    private final int maxCommandBytes;

    public CommandDecoder(AvroDeserializer<SimulationCommand> deserializer, int maxCommandBytes) {
        this.deserializer = deserializer;
        this.maxCommandBytes = maxCommandBytes;
    }

    /**
     * @throws SchemaRegistryException when the registry cannot answer; the record is fine and must
     *     be retried
     */
    public DecodedRecord decode(ConsumerRecord<byte[], byte[]> record) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        String keyOrEmpty = key == null ? "" : key;
        byte[] value = record.value();
        if (value == null) {
            return new DecodedRecord.Invalid(RejectionStage.DESERIALIZATION, "record has a null value (a tombstone is "
                    + "not a command)", null, keyOrEmpty, null);
        }
        if (value.length > maxCommandBytes) {
            return new DecodedRecord.Invalid(RejectionStage.SIZE, "command of " + value.length
                    + " bytes is over the maximum of " + maxCommandBytes + " bytes", null, keyOrEmpty, null);
        }
        SimulationCommand command;
        try {
            command = deserializer.deserialize(record.topic(), value);
        } catch (SchemaRegistryException e) {
            throw e; // the registry is down: not the record's fault, so retry it rather than reject it
        } catch (RuntimeException e) {
            return new DecodedRecord.Invalid(RejectionStage.DESERIALIZATION, "cannot decode command: " + e.getMessage(),
                    e, keyOrEmpty, null);
        }
        var problem = CommandValidator.validate(command, key);
        if (problem.isPresent()) {
            return new DecodedRecord.Invalid(RejectionStage.VALIDATION, "invalid command: " + problem.get(), null,
                    command.getWorkspaceId(), command);
        }
        return new DecodedRecord.Valid(command);
    }
}
