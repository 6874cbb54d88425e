package io.mechanize.worker.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The scripts that run inside the container, kept as resources: the session's here, next to this
 * class, and the others next to the class that sends them ({@link #text}).
 */
public final class Scripts {
    /** Functions that measure an action; the shell driver starts with them. */
    static final String OBSERVE = load("observe.sh");
    static final String SHELL_DRIVER = load("shell-driver.sh");
    static final String SHELL_COMMAND = load("shell-command.sh");

    private Scripts() {}

    private static String load(String name) {
        return text(Scripts.class, name);
    }

    /** The resource {@code name} next to {@code owner}, as UTF-8 text; it must exist. */
    public static String text(Class<?> owner, String name) {
        try (InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing next to " + owner.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading resource " + name + " failed", e);
        }
    }
}
