package io.mechanize.worker.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The bash scripts that run inside the container, kept as resources next to this class. */
final class Scripts {
    /** Functions that measure an action; the shell driver starts with them. */
    static final String OBSERVE = load("observe.sh");
    static final String SHELL_DRIVER = load("shell-driver.sh");
    static final String SHELL_COMMAND = load("shell-command.sh");

    private Scripts() {}

    private static String load(String name) {
        try (InputStream in = Scripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing next to " + Scripts.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading resource " + name + " failed", e);
        }
    }
}
