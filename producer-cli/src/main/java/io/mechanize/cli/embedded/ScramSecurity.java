package io.mechanize.cli.embedded;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SASL/SCRAM-SHA-256 and ACLs for the embedded broker: its client listener speaks
 * {@code SASL_PLAINTEXT}, the users get SCRAM credentials when the log directory is formatted (as
 * {@code kafka-storage format --add-scram} does), and the {@code StandardAuthorizer} allows only
 * what an ACL grants ({@code allow.everyone.if.no.acl.found=false}), except to {@code superUser}.
 *
 * <p>The controller listener stays PLAINTEXT on 127.0.0.1, and its principal ({@code User:ANONYMOUS})
 * is a super user so that the node's broker half can register with its controller half: loopback
 * only, and no client ever bootstraps from it. A production cluster secures that listener too.
 *
 * @param users user name to password
 * @param superUser the user that may do anything (create topics, grant ACLs); one of {@code users}
 */
public record ScramSecurity(Map<String, String> users, String superUser) {
    public static final String MECHANISM = "SCRAM-SHA-256";
    public static final String AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

    public ScramSecurity {
        users = Map.copyOf(requireNonNull(users, "users is null"));
        requireNonNull(superUser, "superUser is null");
        if (!users.containsKey(superUser)) {
            throw new IllegalArgumentException("superUser " + superUser + " is not among the users " + users.keySet());
        }
        users.forEach((user, password) -> {
            if (user.isBlank() || user.matches(".*[,=\\[\\]\"].*") || password.matches(".*[,\\[\\]\"].*")) {
                throw new IllegalArgumentException("user names and passwords must not hold , = [ ] or \": " + user);
            }
        });
    }

    /** Broker properties: SASL on the client listener, the authorizer and the super users. */
    Map<String, String> brokerProperties() {
        String listener = EmbeddedKafkaBroker.CLIENT_LISTENER;
        Map<String, String> props = new LinkedHashMap<>();
        props.put("listener.security.protocol.map",
                listener + ":SASL_PLAINTEXT," + EmbeddedKafkaBroker.CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("sasl.enabled.mechanisms", MECHANISM);
        props.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        props.put("listener.name." + listener.toLowerCase(java.util.Locale.ROOT) + "." + MECHANISM.toLowerCase(
                java.util.Locale.ROOT) + ".sasl.jaas.config", jaas(superUser));
        props.put("authorizer.class.name", AUTHORIZER);
        props.put("allow.everyone.if.no.acl.found", "false");
        props.put("super.users", "User:" + superUser + ";User:ANONYMOUS");
        return props;
    }

    /** Arguments for {@code Formatter#setScramArguments}, one per user. */
    List<String> formatterArguments() {
        return users.entrySet().stream()
                .map(user -> MECHANISM + "=[name=" + user.getKey() + ",password=" + user.getValue() + "]")
                .sorted()
                .toList();
    }

    /** The client properties that log in as {@code user}: what a {@code --kafka-config} file holds. */
    public Map<String, String> clientProperties(String user) {
        if (!users.containsKey(user)) {
            throw new IllegalArgumentException("no user " + user + " among " + users.keySet());
        }
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", MECHANISM, "sasl.jaas.config",
                jaas(user));
    }

    private String jaas(String user) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + users.get(user) + "\";";
    }

    @Override
    public String toString() {
        return "ScramSecurity[users=" + users.keySet() + ", superUser=" + superUser + "]";
    }
}
