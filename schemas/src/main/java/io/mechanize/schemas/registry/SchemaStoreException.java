package io.mechanize.schemas.registry;

/** The registry's store could not load or keep a registration (Confluent answers 500 / 50001). */
public class SchemaStoreException extends RuntimeException {
    public SchemaStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
