package io.mechanize.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.worker.observe.LogContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The shipped logback.xml: JSON lines carry the MDC; text lines name the workspace; levels come from properties. */
class LogFormatTest {
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        System.setErr(originalErr);
    }

    @Test
    void jsonLinesCarryTheWorkspaceAndRunFromTheMdc() throws Exception {
        Logger log = configure(Map.of("MECHANIZE_LOG_FORMAT", "json")).getLogger("io.mechanize.worker.Test");

        try (var ignored = LogContext.forWorkspace("run-1-00000-fix", "run-1")) {
            log.info("container ready in {} ms", 42);
        }

        String line = output().strip();
        assertThat(line.lines()).hasSize(1);
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.path("level").asText()).isEqualTo("INFO");
        assertThat(json.path("loggerName").asText()).isEqualTo("io.mechanize.worker.Test");
        assertThat(json.path("formattedMessage").asText()).isEqualTo("container ready in 42 ms");
        assertThat(json.path("mdc").path("workspace_id").asText()).isEqualTo("run-1-00000-fix");
        assertThat(json.path("mdc").path("run_id").asText()).isEqualTo("run-1");
    }

    @Test
    void textIsTheDefaultAndNamesTheWorkspace() throws Exception {
        Logger log = configure(Map.of()).getLogger("io.mechanize.worker.Test");

        log.info("outside any workspace");
        try (var ignored = LogContext.forWorkspace("ws-7", "run-7")) {
            log.info("inside");
        }

        assertThat(output().lines().toList()).satisfiesExactly(
                first -> assertThat(first).endsWith("INFO  [main] i.mechanize.worker.Test - outside any workspace"),
                second -> assertThat(second).endsWith(
                        "INFO  [main] i.mechanize.worker.Test workspace_id=ws-7 run_id=run-7 - inside"));
    }

    @Test
    void anUnknownFormatFallsBackToText() throws Exception {
        configure(Map.of("MECHANIZE_LOG_FORMAT", "JSNO")).getLogger("x").warn("still visible");

        assertThat(output()).contains("WARN  [main] x - still visible").doesNotContain("{");
    }

    @Test
    void levelsComeFromPropertiesAndKafkaIsQuietAtInfo() throws Exception {
        LoggerContext context = configure(Map.of("mechanize.log.level", "DEBUG"));

        context.getLogger("io.mechanize.worker.Test").debug("debug shown");
        context.getLogger("org.apache.kafka.clients.NetworkClient").info("kafka info hidden");
        context.getLogger("com.github.dockerjava.core").info("docker info hidden");

        assertThat(output()).contains("debug shown").doesNotContain("hidden");
    }

    private LoggerContext configure(Map<String, String> properties) throws Exception {
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(MDC.getMDCAdapter()); // the adapter LogContext writes to
        properties.forEach(context::putProperty);
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
        return context;
    }

    private String output() {
        return captured.toString(StandardCharsets.UTF_8);
    }
}
