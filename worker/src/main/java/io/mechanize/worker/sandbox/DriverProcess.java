package io.mechanize.worker.sandbox;

/** What a {@link ShellSession} needs of its driver's process: the engine's attach, or a test's stand-in. */
interface DriverProcess extends AutoCloseable {
    /** Writes to the process's standard input, in order, without waiting for it to read. */
    void send(byte[] bytes);

    /** Whether the process still runs. */
    boolean running();

    @Override
    void close();
}
