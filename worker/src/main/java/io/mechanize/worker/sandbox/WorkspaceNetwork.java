package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import io.mechanize.worker.workspace.WorkspaceRef;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The names of a workspace's own bridge network. Both derive from the workspace id and the worker
 * id, so a workspace rebuilt on another worker (or one whose old owner still runs) never collides.
 *
 * @param name the Docker network name: {@code mechanize-<workspace id, cleaned, at most 40>-<hash>}
 * @param bridge the host interface: {@code mz-<12 hex>}, 15 characters, the Linux limit; set as
 *     {@code com.docker.network.bridge.name} so the firewall rules can name it before any
 *     container exists
 */
public record WorkspaceNetwork(String name, String bridge) {
    public static final String BRIDGE_NAME_OPTION = "com.docker.network.bridge.name";
    private static final int MAX_ID_CHARS = 40;

    public WorkspaceNetwork {
        requireNonNull(name, "name is null");
        requireNonNull(bridge, "bridge is null");
        if (bridge.length() > 15) {
            throw new IllegalArgumentException("a Linux interface name has at most 15 characters: " + bridge);
        }
    }

    public static WorkspaceNetwork forWorkspace(WorkspaceRef ref) {
        requireNonNull(ref, "ref is null");
        String hash = sha256Hex(ref.workerId() + "\n" + ref.workspaceId());
        String id = ref.workspaceId().replaceAll("[^a-zA-Z0-9_.-]", "-");
        if (id.length() > MAX_ID_CHARS) {
            id = id.substring(0, MAX_ID_CHARS);
        }
        return new WorkspaceNetwork("mechanize-" + id + "-" + hash.substring(0, 8), "mz-" + hash.substring(0, 12));
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
