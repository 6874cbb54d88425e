package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import io.mechanize.schemas.avro.ArchiveSnapshot;
import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.GitSnapshot;
import io.mechanize.schemas.avro.ImageSnapshot;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Gets a task's snapshot as one tar (inline: built in memory; archive: a .tar or .tar.gz on
 * this host; git: {@code git archive <ref>} of a repository on this host; image: the path
 * exported from a helper container of that image) and unpacks it into {@code /workspace} with
 * one {@code tar -x}, then keeps a pristine copy in {@value #PRISTINE_DIR} for the final diff.
 * Fetching happens before the workspace container starts, so a missing snapshot costs no
 * container.
 */
public final class SnapshotPlacement {
    /** The snapshot as placed, for the evaluation's final diff; best effort (the /tmp quota). */
    public static final String PRISTINE_DIR = "/tmp/.mechanize-pristine";
    private static final Duration PLACE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration GIT_TIMEOUT = Duration.ofSeconds(60);
    /** A snapshot tar is held in memory on its way into the container: at most this many bytes. */
    static final long MAX_TAR_BYTES = 256L * 1024 * 1024;

    /**
     * Unpacks stdin into /workspace and keeps the pristine copy. A snapshot small enough to come
     * as a file (the session driver's input file, see shell-driver.sh) is unpacked a second time
     * into the empty directory the container's supervisor made, which costs less than a
     * {@code cp -a} and an {@code rm}; a streamed one, or any surprise, takes the copy.
     */
    private static final String PLACE = """
            tar -x --no-same-owner -C /workspace -f - "$@" || exit $?
            p=%s
            shopt -s nullglob dotglob
            old=("$p"/*)
            if [ -f /dev/stdin ] && [ -d "$p" ] && ((${#old[@]} == 0)) \
                && tar -x --no-same-owner -C "$p" -f /dev/stdin "$@" 2>/dev/null; then
              :
            else
              [ ! -e "$p" ] || rm -rf -- "$p"
              if ! cp -a /workspace "$p" 2>/dev/null; then
                rm -rf -- "$p"; echo "no pristine copy of the snapshot (the /tmp quota?); final_diff will be empty" >&2
              fi
            fi
            """.formatted(PRISTINE_DIR);
    /** An empty snapshot: nothing to unpack, and the pristine copy is an empty directory. */
    private static final String PLACE_NOTHING = "mkdir -p -- " + PRISTINE_DIR + "\n";
    /** For a tar whose headers Java could not read: the container counts. */
    private static final String COUNT = "find /workspace -type f -not -path '*/.git/*' | wc -l\n";

    /**
     * A snapshot as a tar stream.
     *
     * @param tar the bytes, possibly gzip-compressed
     * @param tarOptions extra {@code tar -x} options, e.g. {@code -z}, {@code --strip-components=1}
     * @param what how to name the snapshot in an error
     */
    record Tar(byte[] tar, List<String> tarOptions, String what) {
        Tar {
            requireNonNull(tar, "tar is null");
            tarOptions = List.copyOf(tarOptions);
            requireNonNull(what, "what is null");
        }
    }

    private final DockerClient client;
    private final Clock clock;

    SnapshotPlacement(DockerClient client, Clock clock) {
        this.client = requireNonNull(client, "client is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @throws WorkspaceException (stage snapshot) naming what is missing or unreadable */
    Tar fetch(CreateWorkspace command, Map<String, String> labels) throws WorkspaceException {
        Object snapshot = command.getTask().getSnapshot();
        return switch (snapshot) {
            case null -> new Tar(SnapshotTar.of(Map.of(), 0), List.of(), "an empty snapshot");
            case InlineSnapshot inline -> inline(inline);
            case ArchiveSnapshot archive -> archive(archive.getPath());
            case GitSnapshot git -> git(git.getRepository(), git.getRef());
            case ImageSnapshot image -> image(image.getImage(), image.getPath(), labels);
            default -> throw new WorkspaceException("snapshot", "unknown snapshot kind " + snapshot.getClass().getName());
        };
    }

    /**
     * Unpacks {@code tar} into /workspace through the container's default shell session (started
     * ahead in a pooled container, so placing costs no exec); returns how many files it holds
     * (.git excluded). An empty snapshot in a fresh container costs no command at all.
     */
    static int place(SandboxContainer container, Tar tar) throws WorkspaceException {
        boolean empty = SnapshotTar.isEmpty(tar.tar());
        if (empty && container.readyForEmptySnapshot()) {
            return 0;
        }
        StringBuilder script = new StringBuilder("set --");
        tar.tarOptions().forEach(option -> script.append(" '").append(option.replace("'", "'\\''")).append('\''));
        int files = SnapshotTar.countFiles(tar.tar(), tar.tarOptions().contains("-z"),
                tar.tarOptions().contains("--strip-components=1") ? 1 : 0);
        script.append('\n').append(empty ? PLACE_NOTHING : PLACE).append(files < 0 ? COUNT : "");
        ShellResult shell = container.shell(SandboxContainer.DEFAULT_SESSION,
                ShellRequest.raw(script.toString(), empty ? null : tar.tar(), PLACE_TIMEOUT, 8192));
        ExecResult result = shell.exec();
        if (shell.status() != ShellResult.Status.RAN) {
            // the container's failure, not the snapshot's: another container may well take it
            throw new WorkspaceException("create", "placing " + tar.what() + " into /workspace failed: the container's"
                    + " shell session " + (result.timedOut() ? "did not answer" : "died") + ": "
                    + result.stderr().tail(2000).strip(), new EngineFailure("shell session lost during placement"));
        }
        if (!result.succeeded()) {
            throw new WorkspaceException("snapshot", "placing " + tar.what() + " into /workspace failed"
                    + (result.timedOut() ? " (timed out after " + PLACE_TIMEOUT + ")" : " (tar exit code " + result.exitCode() + ")")
                    + ": " + result.stderr().tail(2000).strip());
        }
        if (files >= 0) {
            return files;
        }
        try {
            return Integer.parseInt(result.stdout().text().strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private Tar inline(InlineSnapshot inline) throws WorkspaceException {
        try {
            Map<String, byte[]> files = DockerWorkspaceFactory.inlineFiles(inline);
            return new Tar(SnapshotTar.of(files, clock.instant().getEpochSecond()), List.of(),
                    "an inline snapshot of " + files.size() + " files");
        } catch (IllegalArgumentException e) {
            throw new WorkspaceException("snapshot", e.getMessage(), e);
        }
    }

    static Tar archive(String pathText) throws WorkspaceException {
        Path path = Path.of(pathText);
        String what = "archive snapshot '" + pathText + "'";
        if (!Files.isRegularFile(path)) {
            throw new WorkspaceException("snapshot", what + " does not exist on this worker's host (or is not a file)");
        }
        try {
            if (Files.size(path) > MAX_TAR_BYTES) {
                throw new WorkspaceException("snapshot", what + " is " + Files.size(path) + " bytes, over the limit of "
                        + MAX_TAR_BYTES);
            }
            byte[] bytes = Files.readAllBytes(path);
            boolean gzip = bytes.length > 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b;
            return new Tar(bytes, gzip ? List.of("-z") : List.of(), what);
        } catch (IOException e) {
            throw new WorkspaceException("snapshot", what + " cannot be read: " + e.getMessage(), e);
        }
    }

    static Tar git(String repository, String ref) throws WorkspaceException {
        String what = "git snapshot of '" + repository + "' at '" + ref + "'";
        if (ref == null || ref.isBlank() || ref.startsWith("-")) {
            throw new WorkspaceException("snapshot", what + ": ref must be a commit, branch or tag name, not an option");
        }
        if (!Files.isDirectory(Path.of(repository))) {
            throw new WorkspaceException("snapshot", what + ": the repository does not exist on this worker's host");
        }
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("mechanize-git-", ".tar");
            err = Files.createTempFile("mechanize-git-", ".err");
            Process git = new ProcessBuilder("git", "-c", "safe.directory=" + repository, "-C", repository,
                    "archive", "--format=tar", ref)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!git.waitFor(GIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                git.destroyForcibly();
                throw new WorkspaceException("snapshot", what + ": git archive took longer than " + GIT_TIMEOUT);
            }
            if (git.exitValue() != 0) {
                throw new WorkspaceException("snapshot", what + ": git archive failed (exit code " + git.exitValue() + "): "
                        + Files.readString(err).strip());
            }
            if (Files.size(out) > MAX_TAR_BYTES) {
                throw new WorkspaceException("snapshot", what + " is over the limit of " + MAX_TAR_BYTES + " bytes");
            }
            return new Tar(Files.readAllBytes(out), List.of(), what);
        } catch (IOException e) {
            throw new WorkspaceException("snapshot", what + ": running git on this worker's host failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WorkspaceException("snapshot", what + ": interrupted", e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private Tar image(String image, String path, Map<String, String> labels) throws WorkspaceException {
        String what = "image snapshot '" + path + "' of " + image;
        if (path == null || !path.startsWith("/") || path.equals("/")) {
            throw new WorkspaceException("snapshot", what + ": path must be an absolute directory other than /");
        }
        String helper;
        try {
            helper = client.createContainerCmd(image).withLabels(labels).withEntrypoint("true").withCmd(List.of())
                    .withNetworkDisabled(true).exec().getId();
        } catch (NotFoundException e) {
            throw new WorkspaceException("snapshot", what + ": the image is not present on the Docker engine", e);
        } catch (DockerException e) {
            throw new WorkspaceException("snapshot", what + ": creating a helper container failed: " + e.getMessage(), e);
        }
        try (InputStream in = client.copyArchiveFromContainerCmd(helper, path).exec()) {
            byte[] tar = in.readNBytes((int) MAX_TAR_BYTES + 1);
            if (tar.length > MAX_TAR_BYTES) {
                throw new WorkspaceException("snapshot", what + " is over the limit of " + MAX_TAR_BYTES + " bytes");
            }
            return new Tar(tar, List.of("--strip-components=1"), what);
        } catch (NotFoundException e) {
            throw new WorkspaceException("snapshot", what + ": the path does not exist in the image", e);
        } catch (DockerException | IOException e) {
            throw new WorkspaceException("snapshot", what + ": exporting it failed: " + e.getMessage(), e);
        } finally {
            try {
                client.removeContainerCmd(helper).withForce(true).exec();
            } catch (DockerException e) {
                // the orphan sweep removes it: it carries this worker's labels
            }
        }
    }

    private static void deleteQuietly(Path path) {
        if (path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // a temp file; nothing to do
            }
        }
    }
}
