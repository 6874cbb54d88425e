package io.mechanize.cli.spec;

/** A spec line that cannot be run: says which line and which field, and what was wrong. */
public final class SpecException extends Exception {
    private final int line;
    private final String field;

    public SpecException(int line, String field, String message) {
        super("line " + line + (field.isEmpty() ? "" : ", " + field) + ": " + message);
        this.line = line;
        this.field = field;
    }

    public int line() {
        return line;
    }

    public String field() {
        return field;
    }
}
