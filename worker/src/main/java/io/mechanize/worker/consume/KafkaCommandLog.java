package io.mechanize.worker.consume;

import io.mechanize.schemas.Topics;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.worker.command.CommandLog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@link CommandLog} on the command topic itself: a short-lived consumer (no group) assigned to
 * one partition reads the range. Recovery is rare, so a consumer per call is simpler than
 * sharing one across lanes.
 */
public final class KafkaCommandLog implements CommandLog {
    private static final Duration READ_LIMIT = Duration.ofSeconds(60);

    private final Properties base;
    private final CommandDecoder decoder;

    public KafkaCommandLog(Properties common, CommandDecoder decoder) {
        this.base = new Properties();
        this.base.putAll(common);
        this.base.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.base.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.base.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.base.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.base.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        this.decoder = decoder;
    }

    @Override
    public List<SimulationCommand> read(String workspaceId, int partition, long fromOffset, long toOffset) {
        TopicPartition tp = new TopicPartition(Topics.COMMANDS, partition);
        byte[] key = workspaceId.getBytes(StandardCharsets.UTF_8);
        List<SimulationCommand> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<byte[], byte[]>(base)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, fromOffset);
            long deadline = System.nanoTime() + READ_LIMIT.toNanos();
            while (consumer.position(tp) <= toOffset) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + tp + " from " + fromOffset + " to " + toOffset
                            + " took longer than " + READ_LIMIT);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() > toOffset) {
                        break;
                    }
                    if (record.key() != null && java.util.Arrays.equals(record.key(), key)
                            && decoder.decode(record) instanceof DecodedRecord.Valid valid) {
                        out.add(valid.command());
                    }
                }
            }
        }
        return out;
    }
}
