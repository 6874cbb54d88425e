package io.mechanize.worker.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.worker.sandbox.CappedOutput;
import io.mechanize.worker.sandbox.ExecResult;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FinalDiffTest {
    private static final String P = "/tmp/.mechanize-pristine";
    private static final String OPTS = "diff -ruN --no-dereference -x .git -x __pycache__ -x .pytest_cache -- ";

    @Test
    void gnuHeadersBecomeAAndBPathsWithDevNullForAFileOnOneSide() {
        // GNU diff 3.8's output for a change, a removal, an addition (with -N: the epoch), a
        // binary file, a name with a space (quoted) and a removed line that starts with "--"
        String gnu = "Binary files " + P + "/bin and /workspace/bin differ\n"
                + OPTS + P + "/dash /workspace/dash\n"
                + "--- " + P + "/dash\t2026-11-26 22:27:28.073778386 +0000\n"
                + "+++ /workspace/dash\t2026-11-26 22:27:28.073778386 +0000\n"
                + "@@ -1,2 +1 @@\n"
                + "--- c\n"
                + " z\n"
                + OPTS + P + "/gone /workspace/gone\n"
                + "--- " + P + "/gone\t2026-11-26 22:27:28.068921684 +0000\n"
                + "+++ /workspace/gone\t1970-01-01 00:00:00.000000000 +0000\n"
                + "@@ -1 +0,0 @@\n"
                + "-x\n"
                + OPTS + P + "/new dir/n /workspace/new dir/n\n"
                + "--- " + P + "/new dir/n\t1970-01-01 00:00:00.000000000 +0000\n"
                + "+++ /workspace/new dir/n\t2026-11-26 22:27:28.068921684 +0000\n"
                + "@@ -0,0 +1 @@\n"
                + "+new\n"
                + "\\ No newline at end of file\n"
                + OPTS + "\"" + P + "/sp ace\" \"/workspace/sp ace\"\n"
                + "--- \"" + P + "/sp ace\"\t1970-01-01 00:00:00.000000000 +0000\n"
                + "+++ \"/workspace/sp ace\"\t2026-11-26 22:27:28.073778386 +0000\n"
                + "@@ -0,0 +1 @@\n"
                + "+s\n"
                + "File " + P + "/d is a directory while file /workspace/d is a regular file\n";

        assertThat(FinalDiff.normalize(gnu, P)).isEqualTo("Binary files a/bin and b/bin differ\n"
                + "diff -u a/dash b/dash\n--- a/dash\n+++ b/dash\n@@ -1,2 +1 @@\n--- c\n z\n"
                + "diff -u a/gone b/gone\n--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
                + "diff -u a/new dir/n b/new dir/n\n--- /dev/null\n+++ b/new dir/n\n@@ -0,0 +1 @@\n+new\n"
                + "\\ No newline at end of file\n"
                + "diff -u a/sp ace b/sp ace\n--- /dev/null\n+++ b/sp ace\n@@ -0,0 +1 @@\n+s\n"
                + "File a/d is a directory while file b/d is a regular file\n");
    }

    @Test
    void aDiffCutMidLineKeepsItsLastPartialLine() {
        assertThat(FinalDiff.normalize(OPTS + P + "/f /workspace/f\n--- " + P + "/f\tx\n+++ /workspace/f\ty\n@@ -1 +1 @@\n-ab", P))
                .isEqualTo("diff -u a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-ab");
        assertThat(FinalDiff.normalize("", P)).isEmpty();
    }

    @Test
    void theFrameIsTakenOffAndTheCommandKeepsTheRest() {
        String out = "\036mz-diff 1 truncated\n" + OPTS + P + "/f /workspace/f\n--- " + P + "/f\tx\n+++ /workspace/f\ty\n"
                + "@@ -1 +1 @@\n-a\n+b\n\036mz-diff-end e1\n\036mz-diff-end e0\nPASSED\n";
        ExecResult exec = new ExecResult(0, new CappedOutput(out, out.length(), false), CappedOutput.empty(), false,
                Duration.ZERO);

        FinalDiff.Taken taken = FinalDiff.parse(exec, P, "e1").orElseThrow();

        assertThat(taken.truncated()).isTrue();
        assertThat(taken.status()).isEqualTo("1");
        assertThat(taken.diff()).isEqualTo("diff -u a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n");
        assertThat(taken.rest().stdout().text()).as("an end line with another marker is the command's")
                .isEqualTo("\036mz-diff-end e0\nPASSED\n");
        assertThat(FinalDiff.parse(exec, P, "e2")).as("no end line of its own: no frame").isEmpty();
    }

    @Test
    void noPristineCopyIsNoDiff() {
        String out = "\036mz-diff missing\n\036mz-diff-end e1\n";
        ExecResult exec = new ExecResult(0, new CappedOutput(out, out.length(), false), CappedOutput.empty(), false,
                Duration.ZERO);
        assertThat(FinalDiff.parse(exec, P, "e1").orElseThrow().diff()).isNull();
    }

    @Test
    void emptyFilesAddedOrRemovedAndSymlinksComeFromTheExtras() {
        String diff = "diff -u a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
                + "Symbolic links a/link and b/link differ\n"
                + "diff: a/newlink: No such file or directory\n";
        String extras = P + "\tl\tlink\tt1\n"
                + "/workspace\tl\tlink\tt2\n"
                + "/workspace\tl\tnewlink\tt3\n"
                + P + "\tf\tkept-empty\t\n"
                + "/workspace\tf\tkept-empty\t\n"
                + P + "\tf\tgone-empty\t\n"
                + "/workspace\tf\tpkg/__init__.py\t\n"
                + "/workspace\tf\tf\t\n"; // emptied: diff -N shows that one already

        assertThat(FinalDiff.withExtras(diff, extras, P)).isEqualTo("diff -u a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
                + "diff -u a/gone-empty b/gone-empty\n--- a/gone-empty\n+++ /dev/null\n"
                + "diff -u a/pkg/__init__.py b/pkg/__init__.py\n--- /dev/null\n+++ b/pkg/__init__.py\n"
                + "diff -u a/link b/link\n--- a/link\n+++ b/link\n@@ -1 +1 @@\n-symlink -> t1\n+symlink -> t2\n"
                + "diff -u a/newlink b/newlink\n--- /dev/null\n+++ b/newlink\n@@ -0,0 +1 @@\n+symlink -> t3\n");
        assertThat(FinalDiff.withExtras("", "", P)).isEmpty();
    }

    @Test
    void quotedNamesAreUnquoted() {
        assertThat(FinalDiff.unquote("\"a b\\\"c\\\\d\\te\"")).isEqualTo("a b\"c\\d\te");
        assertThat(FinalDiff.unquote("plain")).isEqualTo("plain");
    }
}
