package io.mechanize.cli.client;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.SandboxPolicy;

/**
 * How a workspace's container is made: the image, its limits and its sandbox policy. The defaults
 * are the contract's: {@code mechanize/dev-env:latest}, 512 MB, one core, no network.
 */
public record WorkspaceOptions(String image, ResourceLimits limits, SandboxPolicy policy) {
    public static final String DEFAULT_IMAGE = "mechanize/dev-env:latest";

    public WorkspaceOptions {
        requireNonNull(image, "image is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(policy, "policy is null");
    }

    public static WorkspaceOptions defaults() {
        return new WorkspaceOptions(DEFAULT_IMAGE, ResourceLimits.newBuilder().build(), SandboxPolicy.newBuilder().build());
    }

    public WorkspaceOptions withImage(String image) {
        return new WorkspaceOptions(image, limits, policy);
    }

    public WorkspaceOptions withLimits(ResourceLimits limits) {
        return new WorkspaceOptions(image, limits, policy);
    }

    public WorkspaceOptions withPolicy(SandboxPolicy policy) {
        return new WorkspaceOptions(image, limits, policy);
    }
}
