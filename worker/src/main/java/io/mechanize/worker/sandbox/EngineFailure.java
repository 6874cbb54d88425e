package io.mechanize.worker.sandbox;

/** The cause of a {@code WorkspaceException} that the engine or the container made, not the command: worth a retry. */
final class EngineFailure extends RuntimeException {
    EngineFailure(String message) {
        super(message, null, false, false);
    }
}
