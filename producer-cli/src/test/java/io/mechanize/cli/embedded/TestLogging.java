package io.mechanize.cli.embedded;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps the Kafka client and Testcontainers DEBUG chatter out of integration test output. */
final class TestLogging {

    private TestLogging() {
    }

    static void quiet() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
            context.getLogger("org.apache.kafka").setLevel(Level.WARN);
            context.getLogger("kafka").setLevel(Level.WARN);
            context.getLogger("org.testcontainers").setLevel(Level.INFO);
            context.getLogger("com.github.dockerjava").setLevel(Level.WARN);
        }
    }
}
