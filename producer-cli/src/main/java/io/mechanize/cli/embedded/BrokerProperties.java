package io.mechanize.cli.embedded;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/** The embedded broker's properties: one combined KRaft node on loopback, tuned for a single machine. */
final class BrokerProperties {

    private BrokerProperties() {
    }

    static Properties of(Path logDir, int brokerPort, int controllerPort, Map<String, String> overrides) {
        String host = EmbeddedKafkaBroker.HOST;
        String controller = EmbeddedKafkaBroker.CONTROLLER_LISTENER;
        String client = EmbeddedKafkaBroker.CLIENT_LISTENER;
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(EmbeddedKafkaBroker.NODE_ID));
        // static voters: one controller, itself
        props.put("controller.quorum.voters", EmbeddedKafkaBroker.NODE_ID + "@" + host + ":" + controllerPort);
        // the client listener is named for its role; its protocol (PLAINTEXT, or SASL_PLAINTEXT with
        // ScramSecurity) is the map's business
        props.put("listeners", client + "://" + host + ":" + brokerPort + "," + controller + "://" + host + ":" + controllerPort);
        props.put("advertised.listeners", client + "://" + host + ":" + brokerPort);
        props.put("listener.security.protocol.map", client + ":PLAINTEXT," + controller + ":PLAINTEXT");
        props.put("controller.listener.names", controller);
        props.put("inter.broker.listener.name", client);
        props.put("log.dirs", logDir.toString());
        // one node: every internal topic has one replica
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        // consumers join at once; topics are created on purpose, never by a typo
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        props.put("num.partitions", "1");
        // the controller's no-op record every 500 ms tells a multi-node quorum's observers that it
        // lives; one node has none, and each was a metadata append and publish (about a quarter of
        // an idle stack's CPU, on the cores the containers need)
        props.put("metadata.max.idle.interval.ms", "0");
        props.putAll(overrides);
        return props;
    }
}
