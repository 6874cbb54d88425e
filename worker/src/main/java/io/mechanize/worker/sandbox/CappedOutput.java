package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

/**
 * One output stream of a command, possibly capped.
 *
 * @param text what was kept (head and tail, with a marker between them when truncated)
 * @param totalBytes how many bytes the command actually wrote
 * @param truncated whether bytes were dropped
 */
public record CappedOutput(String text, long totalBytes, boolean truncated) {
    public CappedOutput {
        requireNonNull(text, "text is null");
        if (totalBytes < 0) {
            throw new IllegalArgumentException("totalBytes must be >= 0, was " + totalBytes);
        }
    }

    public static CappedOutput empty() {
        return new CappedOutput("", 0, false);
    }

    /** The last {@code maxChars} characters, for short summaries. */
    public String tail(int maxChars) {
        return text.length() <= maxChars ? text : text.substring(text.length() - maxChars);
    }
}
