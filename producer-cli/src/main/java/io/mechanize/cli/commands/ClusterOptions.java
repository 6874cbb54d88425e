package io.mechanize.cli.commands;

import io.mechanize.cli.client.Cluster;
import io.mechanize.schemas.ClientProperties;
import io.mechanize.schemas.wire.RegistryClientSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options that name a running cluster: broker, registry, and the client properties of a secured
 * one. Every client gets, in this order: the {@code --kafka-config} file, the registry flags, then
 * each {@code --kafka-property}.
 */
public final class ClusterOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers of a running cluster.")
    String bootstrapServers;

    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "Confluent-compatible Schema Registry URL of that cluster.")
    String schemaRegistry;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = {"Client properties file (java.util.Properties) applied to every Kafka client: "
                    + "security.protocol, sasl.mechanism, sasl.jaas.config, ssl.*. Registry keys in it "
                    + "(basic.auth.credentials.source, basic.auth.user.info, schema.registry.ssl.truststore.*) "
                    + "go to the registry client."})
    Path kafkaConfig;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "Client property that overrides --kafka-config; repeatable.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--schema-registry-user", paramLabel = "USER",
            description = "User for the registry's HTTP Basic auth (needs --schema-registry-password-file).")
    String registryUser;

    @Option(names = "--schema-registry-password-file", paramLabel = "FILE",
            description = "File holding the registry password (a trailing newline is dropped).")
    Path registryPasswordFile;

    @Option(names = "--schema-registry-truststore", paramLabel = "FILE",
            description = "Truststore (PKCS12 or JKS) with the CA of an https registry.")
    Path registryTruststore;

    @Option(names = "--schema-registry-truststore-password", paramLabel = "PASSWORD",
            description = "Password of --schema-registry-truststore.")
    String registryTruststorePassword;

    boolean named() {
        return bootstrapServers != null || schemaRegistry != null;
    }

    Cluster require(CommandSpec spec) {
        if (bootstrapServers == null || schemaRegistry == null) {
            throw new ParameterException(spec.commandLine(),
                    "name the cluster with both --bootstrap-servers and --schema-registry"
                            + (spec.name().equals("run") ? ", or use --embedded" : ""));
        }
        Cluster cluster = new Cluster(bootstrapServers, schemaRegistry, clientProperties(spec));
        try {
            cluster.registrySettings().sslContext();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        return cluster;
    }

    /** The file's properties, then the registry flags, then each --kafka-property. */
    Map<String, String> clientProperties(CommandSpec spec) {
        Map<String, String> props = new LinkedHashMap<>();
        try {
            if (kafkaConfig != null) {
                props.putAll(ClientProperties.load(kafkaConfig));
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--kafka-config: " + e.getMessage(), e);
        }
        if ((registryUser == null) != (registryPasswordFile == null)) {
            throw new ParameterException(spec.commandLine(),
                    "--schema-registry-user and --schema-registry-password-file go together");
        }
        if (registryUser != null) {
            props.put(RegistryClientSettings.CREDENTIALS_SOURCE, "USER_INFO");
            props.put(RegistryClientSettings.USER_INFO, registryUser + ":" + readPassword(spec));
        }
        if (registryTruststore != null) {
            props.put(RegistryClientSettings.TRUSTSTORE_LOCATION, registryTruststore.toString());
        }
        if (registryTruststorePassword != null) {
            props.put(RegistryClientSettings.TRUSTSTORE_PASSWORD, registryTruststorePassword);
        }
        props.putAll(kafkaProperties);
        try {
            RegistryClientSettings.from(props, schemaRegistry);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        return props;
    }

    private String readPassword(CommandSpec spec) {
        try {
            String password = Files.readString(registryPasswordFile, StandardCharsets.UTF_8);
            if (password.endsWith("\n")) {
                password = password.substring(0, password.length() - (password.endsWith("\r\n") ? 2 : 1));
            }
            return password;
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(),
                    "--schema-registry-password-file: cannot read " + registryPasswordFile + ": " + e, e);
        }
    }
}
