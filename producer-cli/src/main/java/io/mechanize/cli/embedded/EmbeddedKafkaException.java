package io.mechanize.cli.embedded;

/** The embedded Kafka broker could not be started or prepared; the message says which step and why. */
public class EmbeddedKafkaException extends RuntimeException {

    public EmbeddedKafkaException(String message, Throwable cause) {
        super(message, cause);
    }
}
