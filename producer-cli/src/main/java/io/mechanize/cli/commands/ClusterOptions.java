package io.mechanize.cli.commands;

import io.mechanize.cli.client.Cluster;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options that name a running cluster: broker, registry, extra client properties. */
public final class ClusterOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers of a running cluster.")
    String bootstrapServers;

    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "Confluent-compatible Schema Registry URL of that cluster.")
    String schemaRegistry;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka client property (security settings and the like); repeatable.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    boolean named() {
        return bootstrapServers != null || schemaRegistry != null;
    }

    Cluster require(picocli.CommandLine.Model.CommandSpec spec) {
        if (bootstrapServers == null || schemaRegistry == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "name the cluster with both --bootstrap-servers and --schema-registry"
                            + (spec.name().equals("run") ? ", or use --embedded" : ""));
        }
        return new Cluster(bootstrapServers, schemaRegistry, kafkaProperties);
    }
}
