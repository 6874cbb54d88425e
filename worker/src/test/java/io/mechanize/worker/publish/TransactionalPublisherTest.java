package io.mechanize.worker.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.mechanize.worker.observe.FleetMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class TransactionalPublisherTest {
    private static final TopicPartition COMMANDS = new TopicPartition("mechanize.commands", 3);
    private static final ConsumerGroupMetadata GROUP = new ConsumerGroupMetadata("workers");
    private final List<MockProducer<byte[], byte[]>> made = new ArrayList<>();
    private final TransactionalPublisher publisher = new TransactionalPublisher(() -> {
        var producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        made.add(producer);
        return producer;
    }, new FleetMetrics(new MetricRegistry()));

    @Test
    void aFencedProducerIsReplacedOnceAndTheSameTransactionIsSentAgain() {
        made.getFirst().fenceProducer(); // the coordinator aborted its transaction after a long pause

        publisher.publish(List.of(result("one")), Map.of(COMMANDS, new OffsetAndMetadata(8)), () -> GROUP);

        assertThat(made).hasSize(2);
        MockProducer<byte[], byte[]> renewed = made.get(1);
        assertThat(renewed.transactionInitialized()).isTrue();
        assertThat(renewed.history()).extracting(r -> new String(r.value())).containsExactly("one");
        assertThat(renewed.consumerGroupOffsetsHistory())
                .containsExactly(Map.of("workers", Map.of(COMMANDS, new OffsetAndMetadata(8))));

        renewed.fenceProducer(); // again within the minute: another worker has this transactional id
        assertThatThrownBy(() -> publisher.publish(List.of(result("two")), Map.of(), () -> GROUP))
                .isInstanceOf(ProducerFencedException.class);
        assertThat(made).as("not renewed a second time").hasSize(2);
    }

    @Test
    void aTransactionTheCoordinatorAbortedMeanwhileIsSentAgainWithANewProducer() {
        // transactions v2: after a pause past the timeout, the commit may be refused as INVALID_TXN_STATE
        made.getFirst().commitTransactionException =
                new org.apache.kafka.common.errors.InvalidTxnStateException("aborted by the coordinator");

        publisher.publish(List.of(result("one")), Map.of(COMMANDS, new OffsetAndMetadata(8)), () -> GROUP);

        assertThat(made).hasSize(2);
        assertThat(made.getFirst().history()).as("nothing committed by the old producer").isEmpty();
        assertThat(made.get(1).history()).extracting(r -> new String(r.value())).containsExactly("one");
        assertThat(made.get(1).consumerGroupOffsetsHistory())
                .containsExactly(Map.of("workers", Map.of(COMMANDS, new OffsetAndMetadata(8))));
    }

    @Test
    void aProducerThatCannotEvenAbortIsReplacedAndTheTransactionRetried() {
        made.getFirst().commitTransactionException = new org.apache.kafka.common.errors.TimeoutException("broker away");
        made.getFirst().abortTransactionException = new org.apache.kafka.common.KafkaException("in an error state");

        publisher.publish(List.of(result("one")), Map.of(), () -> GROUP);

        assertThat(made).hasSize(2);
        assertThat(made.get(1).history()).extracting(r -> new String(r.value())).containsExactly("one");
    }

    @Test
    void offsetsTheGroupRefusesAbortTheTransactionAndSaySo() {
        made.getFirst().sendOffsetsToTransactionException = new CommitFailedException("generation moved on");

        assertThatThrownBy(() -> publisher.publish(List.of(result("one")), Map.of(COMMANDS, new OffsetAndMetadata(8)),
                () -> GROUP)).isInstanceOf(TransactionalPublisher.GroupChangedException.class);

        assertThat(made.getFirst().transactionAborted()).isTrue();
        assertThat(made.getFirst().history()).as("nothing committed").isEmpty();
    }

    private static ProducerRecord<byte[], byte[]> result(String value) {
        return new ProducerRecord<>("mechanize.results", "ws".getBytes(), value.getBytes());
    }
}
