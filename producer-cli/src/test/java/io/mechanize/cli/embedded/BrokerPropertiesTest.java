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
                .containsEntry("listeners", "CLIENT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093")
                .containsEntry("advertised.listeners", "CLIENT://127.0.0.1:9092")
                .containsEntry("listener.security.protocol.map", "CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT")
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

    @Test
    void scramSecuritySpeaksSaslOnTheClientListenerAndAuthorizesEveryRequest() {
        var security = new ScramSecurity(Map.of("admin", "a-secret", "producer", "p-secret"), "admin");

        var props = BrokerProperties.of(logDir, 9092, 9093, security.brokerProperties());

        assertThat(props)
                .containsEntry("listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT")
                .containsEntry("sasl.enabled.mechanisms", "SCRAM-SHA-256")
                .containsEntry("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .containsEntry("allow.everyone.if.no.acl.found", "false")
                .containsEntry("super.users", "User:admin;User:ANONYMOUS");
        assertThat(security.formatterArguments()).containsExactly(
                "SCRAM-SHA-256=[name=admin,password=a-secret]", "SCRAM-SHA-256=[name=producer,password=p-secret]");
        assertThat(security.clientProperties("producer"))
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"producer\" password=\"p-secret\";");
    }
}
