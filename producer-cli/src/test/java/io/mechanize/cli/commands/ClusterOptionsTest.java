package io.mechanize.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.cli.client.Cluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

class ClusterOptionsTest {

    @TempDir
    Path dir;

    @Test
    void theConfigFileGoesToEveryKafkaClientAndItsRegistryKeysToTheRegistryClient() throws IOException {
        Path config = write("producer.properties", """
                security.protocol=SASL_PLAINTEXT
                sasl.mechanism=SCRAM-SHA-256
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="producer" password="p";
                basic.auth.credentials.source=USER_INFO
                basic.auth.user.info=sr:from-file
                """);

        Cluster cluster = submit("--kafka-config", config.toString());

        assertThat(cluster.clientProperties())
                .containsEntry("bootstrap.servers", "127.0.0.1:9092")
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                .doesNotContainKeys("basic.auth.user.info", "basic.auth.credentials.source");
        assertThat(cluster.registrySettings().userInfo()).contains("sr:from-file");
        assertThat(cluster.toString()).doesNotContain("password=\"p\"").doesNotContain("from-file");
    }

    @Test
    void kafkaPropertiesOverrideTheFile() throws IOException {
        Path config = write("c.properties", "security.protocol=SASL_SSL\nclient.id=from-file\n");

        Cluster cluster = submit("--kafka-config", config.toString(), "--kafka-property", "security.protocol=SSL");

        assertThat(cluster.clientProperties())
                .containsEntry("security.protocol", "SSL")
                .containsEntry("client.id", "from-file");
    }

    @Test
    void registryFlagsWinOverTheFileAndThePasswordFileLosesItsNewline() throws IOException {
        Path config = write("c.properties", "basic.auth.user.info=sr:from-file\n");
        Path password = write("sr.password", "s3cret\n");
        Path truststore = dir.resolve("truststore.p12");

        Cluster cluster = submit("--kafka-config", config.toString(), "--schema-registry-user", "fleet",
                "--schema-registry-password-file", password.toString());
        assertThat(cluster.registrySettings().userInfo()).contains("fleet:s3cret");

        assertThatThrownBy(() -> submit("--schema-registry-truststore", truststore.toString(),
                "--schema-registry-truststore-password", "changeit"))
                .isInstanceOf(ParameterException.class)
                .hasMessageStartingWith("cannot load the schema registry truststore " + truststore);
    }

    @Test
    void aMissingConfigFileOrAHalfGivenCredentialIsAUsageError() {
        Path missing = dir.resolve("missing.properties");
        assertThatThrownBy(() -> submit("--kafka-config", missing.toString()))
                .isInstanceOf(ParameterException.class)
                .hasMessage("--kafka-config: client config file " + missing + " does not exist");
        assertThatThrownBy(() -> submit("--schema-registry-user", "fleet"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("--schema-registry-user and --schema-registry-password-file go together");
    }

    @Test
    void withoutSecurityOptionsOnlyTheBootstrapServersAreSet() {
        Cluster cluster = submit();

        assertThat(cluster.clientProperties()).containsOnlyKeys("bootstrap.servers");
        assertThat(cluster.registrySettings().authorizationHeader()).isEmpty();
    }

    private Cluster submit(String... extra) {
        SubmitCommand command = new SubmitCommand();
        List<String> args = new ArrayList<>(List.of("spec.jsonl", "--bootstrap-servers", "127.0.0.1:9092",
                "--schema-registry", "http://127.0.0.1:8081"));
        args.addAll(List.of(extra));
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
        return command.cluster.require(command.spec);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }
}
