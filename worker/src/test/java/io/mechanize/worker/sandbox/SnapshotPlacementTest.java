package io.mechanize.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotPlacementTest {

    @Test
    void anEmptySnapshotInAFreshContainerNeedsNoCommand() throws Exception {
        var container = new RecordingContainer(true);

        int files = SnapshotPlacement.place(container, tar(Map.of()));

        assertThat(files).isZero();
        assertThat(container.requests).isEmpty();
    }

    @Test
    void anEmptySnapshotStillRunsItsCommandWhenTheContainerCannotVouchForItself() throws Exception {
        var container = new RecordingContainer(false);

        int files = SnapshotPlacement.place(container, tar(Map.of()));

        assertThat(files).isZero();
        assertThat(container.requests).singleElement().satisfies(request -> {
            assertThat(request.command()).contains("mkdir -p -- " + SnapshotPlacement.PRISTINE_DIR);
            assertThat(request.stdin()).isNull();
        });
    }

    @Test
    void aSnapshotWithFilesIsAlwaysUnpacked() throws Exception {
        var container = new RecordingContainer(true);
        SnapshotPlacement.Tar tar = tar(Map.of("src/app.py", "print(1)\n".getBytes(StandardCharsets.UTF_8),
                "README", "hi\n".getBytes(StandardCharsets.UTF_8)));

        int files = SnapshotPlacement.place(container, tar);

        assertThat(files).isEqualTo(2);
        assertThat(container.requests).singleElement().satisfies(request -> {
            assertThat(request.command()).contains("tar -x").contains("cp -a /workspace");
            assertThat(request.stdin()).isEqualTo(tar.tar());
        });
    }

    private static SnapshotPlacement.Tar tar(Map<String, byte[]> files) {
        return new SnapshotPlacement.Tar(SnapshotTar.of(files, 0), List.of(), "a test snapshot");
    }

    /** Answers every shell request with exit code 0 and remembers it. */
    private static final class RecordingContainer implements SandboxContainer {
        private final boolean readyForEmptySnapshot;
        final List<ShellRequest> requests = new ArrayList<>();

        RecordingContainer(boolean readyForEmptySnapshot) {
            this.readyForEmptySnapshot = readyForEmptySnapshot;
        }

        @Override
        public String id() {
            return "recording";
        }

        @Override
        public ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout,
                int maxOutputBytes) {
            throw new UnsupportedOperationException("placement uses the shell session, not an exec");
        }

        @Override
        public ShellResult shell(String session, ShellRequest request) {
            requests.add(request);
            return new ShellResult(new ExecResult(0, CappedOutput.empty(), CappedOutput.empty(), false, Duration.ZERO),
                    ShellResult.Status.RAN, null);
        }

        @Override
        public boolean readyForEmptySnapshot() {
            return readyForEmptySnapshot;
        }

        @Override
        public void close() {
        }
    }
}
