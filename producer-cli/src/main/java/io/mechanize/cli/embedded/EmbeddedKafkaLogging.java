package io.mechanize.cli.embedded;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Keeps the in-process broker quiet: its loggers go to WARN unless the logging configuration sets
 * them, or {@code -Dmechanize.kafka.log=info} (any Logback level) asks for more.
 */
final class EmbeddedKafkaLogging {

    static final String LEVEL_PROPERTY = "mechanize.kafka.log";

    /** The server side of Kafka, and the configuration dumps every Kafka client prints at INFO. */
    static final List<String> BROKER_LOGGERS = List.of(
            "kafka", "state.change.logger",
            "org.apache.kafka.server", "org.apache.kafka.raft", "org.apache.kafka.controller",
            "org.apache.kafka.metadata", "org.apache.kafka.image", "org.apache.kafka.storage",
            "org.apache.kafka.coordinator", "org.apache.kafka.security", "org.apache.kafka.network",
            "org.apache.kafka.queue", "org.apache.kafka.snapshot", "org.apache.kafka.common.network",
            "org.apache.kafka.common.config", "org.apache.kafka.common.utils", "org.apache.kafka.common.metrics");

    private EmbeddedKafkaLogging() {
    }

    static void quietUnlessConfigured() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend: its own configuration decides
        }
        String requested = System.getProperty(LEVEL_PROPERTY);
        Level level = requested == null ? Level.WARN : Level.toLevel(requested, Level.WARN);
        for (String name : BROKER_LOGGERS) {
            ch.qos.logback.classic.Logger logger = context.getLogger(name);
            if (requested != null || logger.getLevel() == null) {
                logger.setLevel(level);
            }
        }
    }
}
