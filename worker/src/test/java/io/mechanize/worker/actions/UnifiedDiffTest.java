package io.mechanize.worker.actions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UnifiedDiffTest {
    private static final String GIT = """
            diff --git a/src/a.py b/src/a.py
            --- a/src/a.py\t2026-01-01
            +++ b/src/a.py
            @@ -1,3 +1,3 @@ def f():
             x
            -y
            +Y
            @@ -10,2 +10,3 @@
             p
            +q
            --- a/old.txt
            +++ /dev/null
            @@ -1 +0,0 @@
            -gone
            """;

    @Test
    void readsFilesHunksAndTheStripLevel() {
        UnifiedDiff diff = UnifiedDiff.parse(GIT);
        assertThat(diff.stripLevel()).isEqualTo(1);
        assertThat(diff.targets()).containsExactly("src/a.py", "old.txt");
        assertThat(diff.files().getFirst().hunks()).hasSize(2);
        assertThat(UnifiedDiff.parse("--- x\n+++ x\n@@ -1 +1 @@\n-a\n+b\n").stripLevel()).isZero();
    }

    @Test
    void namesTheHunkThatFailed() {
        String output = "checking file src/a.py\nHunk #2 FAILED at 10.\n1 out of 2 hunks FAILED\nchecking file old.txt\n";
        assertThat(UnifiedDiff.parse(GIT).describeFailure(output))
                .isEqualTo("hunk #2 of src/a.py (@@ -10,2 +10,3 @@) does not apply (patch tried at line 10)");
        assertThat(UnifiedDiff.parse(GIT).describeFailure("checking file old.txt\nReversed (or previously applied) patch detected!  Skipping patch."))
                .isEqualTo("the patch for old.txt looks already applied (or reversed)");
        assertThat(UnifiedDiff.parse(GIT).describeFailure("something else")).isEqualTo("patch does not apply: something else");
    }

    @Test
    void textWithoutHunksIsNotADiff() {
        assertThatThrownBy(() -> UnifiedDiff.parse("just text")).hasMessageStartingWith("patch is not a unified diff");
    }
}
