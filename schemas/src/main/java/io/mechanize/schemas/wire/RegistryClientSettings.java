package io.mechanize.schemas.wire;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How the registry client authenticates and whom it trusts, read from client properties under
 * Confluent's key names, so one {@code client.properties} serves this project and Confluent tools:
 *
 * <table>
 * <caption>registry client keys</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@value #CREDENTIALS_SOURCE}</td><td>{@code USER_INFO}</td><td>{@code USER_INFO}: the user
 *     and password in {@value #USER_INFO}; {@code URL}: those in the URL ({@code https://user:pass@host})</td></tr>
 * <tr><td>{@value #USER_INFO}</td><td>none</td><td>{@code USER:PASSWORD}, sent as HTTP Basic on
 *     every request (also read as {@code schema.registry.basic.auth.user.info})</td></tr>
 * <tr><td>{@value #TRUSTSTORE_LOCATION}</td><td>none: the JDK's CAs</td><td>a truststore file
 *     (PKCS12 or JKS) with the CA that signed the registry's certificate</td></tr>
 * <tr><td>{@value #TRUSTSTORE_PASSWORD}</td><td>none</td><td>its password</td></tr>
 * <tr><td>{@value #TRUSTSTORE_TYPE}</td><td>the JDK's ({@code PKCS12}, which reads JKS too)</td>
 *     <td>its type</td></tr>
 * </table>
 *
 * @param userInfo {@code USER:PASSWORD} for HTTP Basic, or empty
 * @param truststore the truststore file, or empty for the JDK's default trust
 * @param truststorePassword its password (may be empty)
 * @param truststoreType its type
 */
public record RegistryClientSettings(Optional<String> userInfo, Optional<Path> truststore, String truststorePassword,
        String truststoreType) {

    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";
    public static final String PREFIXED_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";

    /** No authentication, the JDK's default trust. */
    public static final RegistryClientSettings NONE =
            new RegistryClientSettings(Optional.empty(), Optional.empty(), "", KeyStore.getDefaultType());

    public RegistryClientSettings {
        java.util.Objects.requireNonNull(userInfo, "userInfo is null");
        java.util.Objects.requireNonNull(truststore, "truststore is null");
        java.util.Objects.requireNonNull(truststorePassword, "truststorePassword is null");
        java.util.Objects.requireNonNull(truststoreType, "truststoreType is null");
        userInfo.ifPresent(info -> {
            if (info.indexOf(':') < 1) {
                throw new IllegalArgumentException(USER_INFO + " must be USER:PASSWORD");
            }
        });
    }

    /**
     * Reads the settings from client properties (other keys are ignored).
     *
     * @param url the registry URL, for {@code basic.auth.credentials.source=URL}
     */
    public static RegistryClientSettings from(Map<String, String> properties, String url) {
        String source = properties.getOrDefault(CREDENTIALS_SOURCE, "USER_INFO").strip().toUpperCase(Locale.ROOT);
        Optional<String> userInfo = switch (source) {
            case "USER_INFO" -> Optional.ofNullable(properties.getOrDefault(USER_INFO, properties.get(PREFIXED_USER_INFO)))
                    .filter(s -> !s.isBlank());
            case "URL" -> Optional.ofNullable(url == null ? null : URI.create(url).getRawUserInfo())
                    .map(info -> URLDecoder.decode(info, StandardCharsets.UTF_8));
            default -> throw new IllegalArgumentException(CREDENTIALS_SOURCE + "=" + source
                    + " is not supported; use USER_INFO (with " + USER_INFO + ") or URL");
        };
        if (source.equals("USER_INFO") && properties.containsKey(CREDENTIALS_SOURCE) && userInfo.isEmpty()) {
            throw new IllegalArgumentException(CREDENTIALS_SOURCE + "=USER_INFO needs " + USER_INFO + "=USER:PASSWORD");
        }
        Optional<Path> truststore = Optional.ofNullable(properties.get(TRUSTSTORE_LOCATION))
                .filter(s -> !s.isBlank()).map(Path::of);
        return new RegistryClientSettings(userInfo, truststore, properties.getOrDefault(TRUSTSTORE_PASSWORD, ""),
                properties.getOrDefault(TRUSTSTORE_TYPE, KeyStore.getDefaultType()));
    }

    /** The {@code Authorization} header's value, when there are credentials. */
    public Optional<String> authorizationHeader() {
        return userInfo.map(info -> "Basic " + Base64.getEncoder().encodeToString(info.getBytes(StandardCharsets.UTF_8)));
    }

    /** An SSL context that trusts the truststore's certificates, when one is set. */
    public Optional<SSLContext> sslContext() {
        if (truststore.isEmpty()) {
            return Optional.empty();
        }
        Path file = truststore.get();
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(truststoreType);
            store.load(in, truststorePassword.isEmpty() ? null : truststorePassword.toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return Optional.of(context);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load the schema registry truststore " + file + " ("
                    + truststoreType + "): " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "RegistryClientSettings[basic auth " + userInfo.map(i -> "as " + i.substring(0, i.indexOf(':')))
                .orElse("off") + ", truststore " + truststore.map(Path::toString).orElse("JDK default") + "]";
    }
}
