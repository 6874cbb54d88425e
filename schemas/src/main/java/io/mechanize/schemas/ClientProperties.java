package io.mechanize.schemas;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * One map of client properties for a whole cluster, as a Confluent client config file holds them:
 * Kafka client settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}, ...) side by side
 * with the schema registry client's ({@code schema.registry.*}, {@code basic.auth.*}). Every Kafka
 * client of the project takes {@link #kafkaOnly}; the registry client takes
 * {@link io.mechanize.schemas.wire.RegistryClientSettings#from}.
 */
public final class ClientProperties {

    /** Keys that belong to the schema registry client, never to a Kafka client. */
    private static final String[] REGISTRY_PREFIXES = {"schema.registry.", "basic.auth."};

    private ClientProperties() {
    }

    /**
     * Reads a {@link Properties} file (the format of {@code kafka-console-producer --producer.config}
     * and {@code client.properties}).
     *
     * @throws IllegalArgumentException when the file is missing or unreadable, naming the file
     */
    public static Map<String, String> load(Path file) {
        Objects.requireNonNull(file, "file is null");
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("client config file " + file + " does not exist", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read client config file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> values = new LinkedHashMap<>();
        new TreeMap<>(props).forEach((k, v) -> values.put(k.toString(), v.toString().strip()));
        return values;
    }

    /** The settings for a Kafka client: everything but the registry client's keys. */
    public static Map<String, String> kafkaOnly(Map<String, String> properties) {
        Map<String, String> kafka = new LinkedHashMap<>();
        properties.forEach((key, value) -> {
            if (!isRegistryKey(key)) {
                kafka.put(key, value);
            }
        });
        return kafka;
    }

    public static boolean isRegistryKey(String key) {
        for (String prefix : REGISTRY_PREFIXES) {
            if (key.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The map for logs: values of keys that may carry a secret ({@code password}, {@code jaas},
     * {@code user.info}, {@code secret}, {@code token}, {@code key} in the name) become {@code [hidden]}.
     */
    public static Map<String, String> redacted(Map<String, String> properties) {
        Map<String, String> shown = new LinkedHashMap<>();
        properties.forEach((key, value) -> shown.put(key, isSecret(key) ? "[hidden]" : value));
        return shown;
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password") || k.contains("jaas") || k.contains("user.info") || k.contains("secret")
                || k.contains("token") || k.endsWith(".key") || k.contains("key.pem");
    }
}
