package io.mechanize.worker.sandbox;

import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceRef;

/**
 * Turns a ready container into a {@link Workspace}: the seam that lets the factory live here
 * while the actions live in their own package ({@code DockerWorkspace::new} in
 * {@code io.mechanize.worker.actions}).
 */
@FunctionalInterface
public interface WorkspaceBinder {
    Workspace bind(WorkspaceRef ref, CreateWorkspace command, SandboxContainer container, int snapshotFiles);
}
