package io.mechanize.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientPropertiesTest {

    @TempDir
    Path dir;

    @Test
    void readsAConfluentStyleClientConfigFile() throws IOException {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, """
                # a cluster with SASL/SCRAM and a registry behind basic auth
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-256
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
                    username="producer" password="p-secret";
                ssl.truststore.location=/etc/kafka/truststore.p12
                basic.auth.credentials.source=USER_INFO
                basic.auth.user.info=sr-user:sr-secret
                schema.registry.ssl.truststore.location=/etc/registry/truststore.p12
                """);

        Map<String, String> props = ClientProperties.load(file);

        assertThat(props)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"producer\" password=\"p-secret\";")
                .containsEntry("basic.auth.user.info", "sr-user:sr-secret")
                .hasSize(7);
    }

    @Test
    void kafkaClientsGetEverythingButTheRegistryKeys() {
        Map<String, String> props = Map.of("security.protocol", "SASL_PLAINTEXT", "ssl.truststore.location", "/t",
                "basic.auth.user.info", "u:p", "basic.auth.credentials.source", "USER_INFO",
                "schema.registry.ssl.truststore.location", "/r");

        assertThat(ClientProperties.kafkaOnly(props)).containsOnlyKeys("security.protocol", "ssl.truststore.location");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> ClientProperties.load(missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("client config file " + missing + " does not exist");
    }

    @Test
    void secretsAreHiddenInLogs() {
        Map<String, String> shown = ClientProperties.redacted(Map.of("sasl.jaas.config", "... password=\"x\";",
                "basic.auth.user.info", "u:p", "ssl.truststore.password", "t", "security.protocol", "SASL_SSL",
                "basic.auth.credentials.source", "USER_INFO"));

        assertThat(shown).containsEntry("sasl.jaas.config", "[hidden]")
                .containsEntry("basic.auth.user.info", "[hidden]")
                .containsEntry("ssl.truststore.password", "[hidden]")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("basic.auth.credentials.source", "USER_INFO");
    }
}
