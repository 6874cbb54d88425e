package io.mechanize.cli.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class EmbeddedKafkaLoggingTest {

    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();

    @AfterEach
    void reset() {
        System.clearProperty(EmbeddedKafkaLogging.LEVEL_PROPERTY);
        EmbeddedKafkaLogging.BROKER_LOGGERS.forEach(name -> context.getLogger(name).setLevel(null));
    }

    @Test
    void brokerLoggersGoToWarnByDefault() {
        EmbeddedKafkaLogging.quietUnlessConfigured();

        assertThat(context.getLogger("kafka.server").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("org.apache.kafka.raft.KafkaRaftClient").getEffectiveLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void aLevelSetByTheLoggingConfigurationIsKept() {
        context.getLogger("kafka").setLevel(Level.DEBUG);

        EmbeddedKafkaLogging.quietUnlessConfigured();

        assertThat(context.getLogger("kafka").getLevel()).isEqualTo(Level.DEBUG);
    }

    @Test
    void theSystemPropertyAsksForMore() {
        System.setProperty(EmbeddedKafkaLogging.LEVEL_PROPERTY, "info");

        EmbeddedKafkaLogging.quietUnlessConfigured();

        assertThat(context.getLogger("kafka").getLevel()).isEqualTo(Level.INFO);
    }
}
