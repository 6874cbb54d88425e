package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import io.mechanize.worker.workspace.WorkspaceException;
import org.junit.jupiter.api.Test;

/** Which failed creations are worth a new container: the engine's and the container's, not the image's or the snapshot's. */
class EngineFailureTest {

    @Test
    void anEngineErrorOrALostSessionIsRetriedAMissingImageOrABadSnapshotIsNot() {
        assertThat(DockerWorkspaceFactory.engineFailure(new WorkspaceException("create", "starting failed",
                new InternalServerErrorException("failed to create shim task: ttrpc: closed")))).isTrue();
        assertThat(DockerWorkspaceFactory.engineFailure(new WorkspaceException("create", "placing failed",
                new EngineFailure("shell session lost during placement")))).isTrue();
        assertThat(DockerWorkspaceFactory.engineFailure(new WorkspaceException("create", "no image",
                new NotFoundException("no such image")))).isFalse();
        assertThat(DockerWorkspaceFactory.engineFailure(new WorkspaceException("snapshot",
                "placing archive snapshot 'a.tar' into /workspace failed (tar exit code 2)"))).isFalse();
    }
}
