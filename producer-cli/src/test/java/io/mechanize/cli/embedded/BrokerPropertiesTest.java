package io.mechanize.cli.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BrokerPropertiesTest {

    private final Path logDir = Path.of("/tmp/kafka-data");

    @Test
    void oneCombinedNodeListensOnLoopbackOnly() {
        var props = BrokerProperties.of(logDir, 9092, 9093, Map.of());

        assertThat(props)
                .containsEntry("process.roles", "broker,controller")
                .containsEntry("node.id", "1")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:9093")
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093")
                .containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:9092")
                .containsEntry("log.dirs", "/tmp/kafka-data");
    }

    @Test
    void internalTopicsFitOneBrokerAndTopicsAreNeverAutoCreated() {
        var props = BrokerProperties.of(logDir, 9092, 9093, Map.of());

        assertThat(props)
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("group.initial.rebalance.delay.ms", "0")
                .containsEntry("auto.create.topics.enable", "false");
    }

    @Test
    void overridesWin() {
        var props = BrokerProperties.of(logDir, 9092, 9093, Map.of("auto.create.topics.enable", "true"));

        assertThat(props).containsEntry("auto.create.topics.enable", "true");
    }
}
