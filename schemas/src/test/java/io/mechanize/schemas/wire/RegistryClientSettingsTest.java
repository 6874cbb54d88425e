package io.mechanize.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryClientSettingsTest {

    @Test
    void noKeysMeansNoAuthAndTheJdksTrust() {
        var settings = RegistryClientSettings.from(Map.of("security.protocol", "SASL_SSL"), "https://sr:8081");

        assertThat(settings.authorizationHeader()).isEmpty();
        assertThat(settings.truststore()).isEmpty();
        assertThat(settings.sslContext()).isEmpty();
    }

    @Test
    void userInfoBecomesAnHttpBasicHeader() {
        var settings = RegistryClientSettings.from(Map.of("basic.auth.credentials.source", "USER_INFO",
                "basic.auth.user.info", "fleet:s3cret:with-colon"), "http://127.0.0.1:8081");

        // base64("fleet:s3cret:with-colon")
        assertThat(settings.authorizationHeader()).contains("Basic ZmxlZXQ6czNjcmV0OndpdGgtY29sb24=");
        assertThat(settings.toString()).contains("as fleet").doesNotContain("s3cret");
    }

    @Test
    void theSourceDefaultsToUserInfoAndThePrefixedKeyWorksToo() {
        var settings = RegistryClientSettings.from(Map.of("schema.registry.basic.auth.user.info", "a:b"), "http://h");

        assertThat(settings.userInfo()).contains("a:b");
    }

    @Test
    void urlSourceTakesTheUrlsUserInfo() {
        var settings = RegistryClientSettings.from(Map.of("basic.auth.credentials.source", "URL"),
                "https://fleet:p%40ss@sr.example:8081");

        assertThat(settings.userInfo()).contains("fleet:p@ss");
    }

    @Test
    void readsTheConfluentTruststoreKeys() {
        var settings = RegistryClientSettings.from(Map.of(
                "schema.registry.ssl.truststore.location", "/etc/sr/truststore.jks",
                "schema.registry.ssl.truststore.password", "changeit",
                "schema.registry.ssl.truststore.type", "JKS"), "https://sr");

        assertThat(settings.truststore()).contains(Path.of("/etc/sr/truststore.jks"));
        assertThat(settings.truststorePassword()).isEqualTo("changeit");
        assertThat(settings.truststoreType()).isEqualTo("JKS");
        assertThatThrownBy(settings::sslContext)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot load the schema registry truststore /etc/sr/truststore.jks (JKS): ");
    }

    @Test
    void refusesWhatItCannotHonour() {
        assertThatThrownBy(() -> RegistryClientSettings.from(Map.of("basic.auth.credentials.source", "SASL_INHERIT"),
                "http://h"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("basic.auth.credentials.source=SASL_INHERIT is not supported; use USER_INFO (with "
                        + "basic.auth.user.info) or URL");
        assertThatThrownBy(() -> RegistryClientSettings.from(Map.of("basic.auth.credentials.source", "USER_INFO"),
                "http://h"))
                .hasMessage("basic.auth.credentials.source=USER_INFO needs basic.auth.user.info=USER:PASSWORD");
        assertThatThrownBy(() -> RegistryClientSettings.from(Map.of("basic.auth.user.info", "no-colon"), "http://h"))
                .hasMessage("basic.auth.user.info must be USER:PASSWORD");
    }
}
