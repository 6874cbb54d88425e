package io.mechanize.cli.commands;

import io.mechanize.cli.spec.SimulationSpec;
import io.mechanize.cli.spec.SpecException;
import io.mechanize.cli.spec.SpecParser;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reads a spec file for a command; on a bad or missing file prints why and yields nothing (exit 2). */
final class SpecFiles {
    static final int INVALID_SPEC = 2;

    private SpecFiles() {}

    static Optional<List<SimulationSpec>> read(Path file) throws IOException {
        try {
            return Optional.of(SpecParser.parse(file));
        } catch (SpecException e) {
            System.err.println("invalid spec " + file + ": " + e.getMessage());
        } catch (NoSuchFileException e) {
            System.err.println("spec file not found: " + file);
        }
        return Optional.empty();
    }
}
