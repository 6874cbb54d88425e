package io.mechanize.schemas.wire;

/**
 * The schema registry refused a request or could not be reached. Carries the HTTP status and the
 * Confluent {@code error_code} of the answer, or {@link #NO_ANSWER} for both when there was none.
 */
public class SchemaRegistryException extends RuntimeException {

    /** Status and error code when the registry gave no answer (unreachable, timed out, interrupted). */
    public static final int NO_ANSWER = -1;
    /** Confluent's error code for "Subject not found". */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent's error code for "Schema not found" (an unknown id). */
    public static final int SCHEMA_NOT_FOUND = 40403;

    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(int httpStatus, int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(int httpStatus, int errorCode, String message) {
        this(httpStatus, errorCode, message, null);
    }

    /** The HTTP status of the registry's answer, or {@link #NO_ANSWER}. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The Confluent {@code error_code} of the answer (e.g. 40403), or {@link #NO_ANSWER} when the body had none. */
    public int errorCode() {
        return errorCode;
    }

    /** True when the registry answered that a schema id is unknown: bad input, not a registry outage. */
    public boolean isSchemaNotFound() {
        return httpStatus == 404 && errorCode == SCHEMA_NOT_FOUND;
    }
}
