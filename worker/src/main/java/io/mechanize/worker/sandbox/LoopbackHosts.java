package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hosts file of a workspace that has no network: a file naming {@code localhost}, kept in a
 * Docker volume of the engine and bind-mounted read-only at {@code /etc/hosts}.
 *
 * <p>A container on the engine's {@code none} network still goes through libnetwork: a sandbox, an
 * endpoint and their records in the engine's store are made at start and deleted at removal, about
 * a quarter of the engine's CPU for a container here, and the path where Docker 20.10's deadlock
 * between {@code getSvcRecords} and {@code processEndpointDelete} lies (moby/moby#42545). A container
 * created with networking disabled skips libnetwork: the runtime gives it a network namespace of its
 * own with the loopback interface up and nothing else, which is what {@code none} gives. What
 * libnetwork also wrote is the hosts file, so without one {@code localhost} would not resolve in
 * the image's (usually empty) {@code /etc/hosts}. The file lives in a volume so that its path is
 * on the engine's host whether or not the worker runs there.
 */
final class LoopbackHosts {
    private static final Logger log = LoggerFactory.getLogger(LoopbackHosts.class);

    static final String VOLUME = "mechanize-loopback-hosts";
    static final String FILE = "hosts";
    /** What Docker writes for a container on the {@code none} network. */
    static final String CONTENT = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters
            """;
    private static final String MOUNT = "/mechanize-hosts";

    private LoopbackHosts() {}

    /**
     * Makes the volume and writes the file into it (through a container that is created, never
     * started, and removed), and returns the file's path on the engine's host.
     *
     * @param image any image present on the engine (the container made to write the file never runs)
     * @throws DockerException when the engine refuses any step
     */
    static String place(DockerClient client, String image) {
        requireNonNull(image, "image is null");
        client.createVolumeCmd().withName(VOLUME).withLabels(Map.of("mechanize.hosts-file", "true")).exec();
        String mountpoint = client.inspectVolumeCmd(VOLUME).exec().getMountpoint();
        if (mountpoint == null || mountpoint.isBlank()) {
            throw new IllegalStateException("the engine gave no mountpoint for volume " + VOLUME);
        }
        String writer;
        try (CreateContainerCmd cmd = client.createContainerCmd(image)) {
            writer = cmd.withLabels(Map.of("mechanize.hosts-file", "writer"))
                    .withEntrypoint("true")
                    .withCmd(List.of())
                    .withNetworkDisabled(true)
                    .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(VOLUME, new Volume(MOUNT))))
                    .exec()
                    .getId();
        }
        try {
            byte[] tar = SnapshotTar.of(Map.of(FILE, CONTENT.getBytes(StandardCharsets.US_ASCII)), 0);
            client.copyArchiveToContainerCmd(writer).withRemotePath(MOUNT)
                    .withTarInputStream(new ByteArrayInputStream(tar)).exec();
        } finally {
            client.removeContainerCmd(writer).withForce(true).exec();
        }
        String path = mountpoint + "/" + FILE;
        log.info("workspaces without network get {} as /etc/hosts and no libnetwork endpoint", path);
        return path;
    }
}
