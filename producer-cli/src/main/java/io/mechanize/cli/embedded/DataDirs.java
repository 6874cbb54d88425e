package io.mechanize.cli.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The embedded broker's log directory: its cluster id, and removal of temporary ones. */
final class DataDirs {

    private static final Logger log = LoggerFactory.getLogger(DataDirs.class);

    private DataDirs() {
    }

    /** The cluster id in {@code dir/meta.properties}, or null when the directory is not formatted. */
    static String clusterIdOf(Path dir) throws IOException {
        Path meta = dir.resolve("meta.properties");
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(meta)) {
            props.load(in);
        }
        return props.getProperty("cluster.id");
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | RuntimeException e) {
            log.warn("Could not delete the Kafka data directory {}: {}", dir, e.toString());
        }
    }
}
