package io.mechanize.worker.sandbox;

import static io.mechanize.worker.sandbox.SandboxFixture.edit;
import static org.assertj.core.api.Assertions.assertThat;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Every FILE_EDIT operation, and its errors, against one real workspace. */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FileOperationsIT {
    private SandboxFixture fx;
    private Workspace ws;

    @BeforeAll
    void start() throws Exception {
        fx = new SandboxFixture();
        ws = fx.create("files", InlineSnapshot.newBuilder().setFiles(Map.of(
                "lines.txt", "one\ntwo\nthree\nfour\n",
                "dup.txt", "x = 1\ny = 2\nx = 1\n")).build());
        assertThat(fx.sh(ws, "ln -s /etc evil").getSuccess()).isTrue();
    }

    @AfterAll
    void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void writeReadAndBinaryContent() throws Exception {
        ActionResult created = file(edit("a/b/new.txt", "write").setContent("héllo\n"));
        assertThat(created.getSuccess()).as(created.toString()).isTrue();
        assertThat(created.getStateChanges().getCreated()).containsExactly("a/b/new.txt");
        assertThat(file(edit("a/b/new.txt", "read")).getOutput()).isEqualTo("héllo\n");
        byte[] binary = {0, (byte) 0xff, (byte) 0xfe, 10};
        ActionResult bin = file(edit("bin.dat", "write").setEncoding("base64").setContent(Base64.getEncoder().encodeToString(binary)));
        assertThat(bin.getSuccess()).isTrue();
        assertThat(file(edit("bin.dat", "read").setEncoding("base64")).getOutput())
                .isEqualTo(Base64.getEncoder().encodeToString(binary));
        ActionResult asText = file(edit("bin.dat", "read"));
        assertThat(asText.getSuccess()).isFalse();
        assertThat(asText.getErrorMessage()).contains("not valid UTF-8").contains("base64");
    }

    @Test
    void readsAreCappedAndHugeWritesRefused() throws Exception {
        assertThat(fx.sh(ws, "head -c 1100000 /dev/zero | tr '\\0' a > big.txt").getSuccess()).isTrue();
        ActionResult big = file(edit("big.txt", "read"));
        assertThat(big.getSuccess()).isTrue();
        assertThat(big.getOutputTruncated()).isTrue();
        assertThat(big.getOutput()).hasSize(1024 * 1024);
        ActionResult huge = file(edit("huge.txt", "write").setContent("x".repeat(10 * 1024 * 1024 + 1)));
        assertThat(huge.getSuccess()).isFalse();
        assertThat(huge.getErrorMessage()).contains("refused").contains("10485760");
    }

    @Test
    void editReplacesALineRange() throws Exception {
        file(edit("edit.txt", "write").setContent("one\ntwo\nthree\nfour\n"));
        ActionResult edited = file(edit("edit.txt", "edit").setLineRange(List.of(2, 3)).setContent("TWO-THREE"));
        assertThat(edited.getSuccess()).as(edited.toString()).isTrue();
        assertThat(edited.getStateChanges().getModified()).containsExactly("edit.txt");
        assertThat(read("edit.txt")).isEqualTo("one\nTWO-THREE\nfour\n");
        ActionResult past = file(edit("edit.txt", "edit").setLineRange(List.of(9, 9)).setContent("x"));
        assertThat(past.getErrorMessage()).contains("line_range starts at line 9 but 'edit.txt' has 3 lines");
    }

    @Test
    void strReplaceNeedsExactlyOneMatch() throws Exception {
        ActionResult twice = file(edit("dup.txt", "str_replace").setOldStr("x = 1").setNewStr("x = 9"));
        assertThat(twice.getSuccess()).isFalse();
        assertThat(twice.getErrorMessage()).isEqualTo("old_str occurs 2 times in 'dup.txt' (at lines 1, 3); it must occur exactly once");
        ActionResult none = file(edit("dup.txt", "str_replace").setOldStr("zzz").setNewStr(""));
        assertThat(none.getErrorMessage()).contains("old_str occurs 0 times in 'dup.txt'");
        ActionResult once = file(edit("dup.txt", "str_replace").setOldStr("y = 2").setNewStr("y = 3"));
        assertThat(once.getSuccess()).isTrue();
        assertThat(once.getStateChanges().getModified()).containsExactly("dup.txt");
        assertThat(read("dup.txt")).isEqualTo("x = 1\ny = 3\nx = 1\n");
    }

    @Test
    void insertAtTheTopAndAfterALine() throws Exception {
        file(edit("ins.txt", "write").setContent("a\nb"));
        assertThat(file(edit("ins.txt", "insert").setInsertLine(0).setContent("top")).getSuccess()).isTrue();
        assertThat(file(edit("ins.txt", "insert").setInsertLine(3).setContent("end\n")).getSuccess()).isTrue();
        assertThat(read("ins.txt")).isEqualTo("top\na\nb\nend\n");
        assertThat(file(edit("ins.txt", "insert").setInsertLine(99).setContent("x")).getErrorMessage())
                .contains("insert_line 99 is past the end of 'ins.txt' (4 lines)");
    }

    @Test
    void deleteRemovesAFile() throws Exception {
        file(edit("gone.txt", "write").setContent("bye"));
        ActionResult deleted = file(edit("gone.txt", "delete"));
        assertThat(deleted.getSuccess()).isTrue();
        assertThat(deleted.getStateChanges().getDeleted()).containsExactly("gone.txt");
        assertThat(file(edit("gone.txt", "delete")).getErrorMessage()).isEqualTo("file 'gone.txt' does not exist");
    }

    @Test
    void patchAppliesAGitDiffAndNamesTheHunkThatDoesNot() throws Exception {
        file(edit("p.txt", "write").setContent("alpha\nbeta\ngamma\n"));
        String good = """
                diff --git a/p.txt b/p.txt
                --- a/p.txt
                +++ b/p.txt
                @@ -1,3 +1,3 @@
                 alpha
                -beta
                +BETA
                 gamma
                --- /dev/null
                +++ b/added.txt
                @@ -0,0 +1 @@
                +new file
                """;
        ActionResult applied = file(edit("", "patch").setPatch(good));
        assertThat(applied.getSuccess()).as(applied.toString()).isTrue();
        assertThat(applied.getStateChanges().getModified()).containsExactly("p.txt");
        assertThat(applied.getStateChanges().getCreated()).containsExactly("added.txt");
        assertThat(read("p.txt")).isEqualTo("alpha\nBETA\ngamma\n");
        String bad = """
                --- p.txt
                +++ p.txt
                @@ -1,2 +1,2 @@
                 alpha
                -no such line
                +x
                """;
        ActionResult rejected = file(edit("", "patch").setPatch(bad));
        assertThat(rejected.getSuccess()).isFalse();
        assertThat(rejected.getErrorMessage()).isEqualTo("hunk #1 of p.txt (@@ -1,2 +1,2 @@) does not apply (patch tried at line 1)");
        assertThat(read("p.txt")).isEqualTo("alpha\nBETA\ngamma\n");
    }

    @Test
    void everyOperationRefusesPathsOutsideTheWorkspace() throws Exception {
        List<FileEditAction.Builder> hostile = List.of(
                edit("../etc/passwd", "read"), edit("/etc/passwd", "read"), edit("evil/passwd", "read"),
                edit("evil/x", "write").setContent("x"), edit("evil/passwd", "edit").setLineRange(List.of(1, 1)).setContent("x"),
                edit("evil/passwd", "str_replace").setOldStr("root").setNewStr("x"),
                edit("evil/passwd", "insert").setInsertLine(0).setContent("x"), edit("evil/passwd", "delete"),
                edit("", "patch").setPatch("--- evil/passwd\n+++ evil/passwd\n@@ -1 +1 @@\n-a\n+b\n"));
        for (FileEditAction.Builder edit : hostile) {
            ActionResult result = file(edit);
            assertThat(result.getSuccess()).as(edit.getOperation()).isFalse();
            assertThat(result.getSecurityViolations()).as(edit.getOperation()).extracting(SecurityViolation::getType)
                    .containsExactly(ViolationType.PATH_ESCAPE);
            assertThat(result.getErrorMessage()).as(edit.getOperation()).contains("outside /workspace");
        }
    }

    @Test
    void unknownOperationsAndMissingFieldsAreErrors() throws Exception {
        assertThat(file(edit("x", "frobnicate")).getErrorMessage()).startsWith("operation 'frobnicate' is unknown; known: [read");
        assertThat(file(edit("lines.txt", "edit").setContent("x")).getErrorMessage()).contains("edit needs line_range");
        assertThat(file(edit("lines.txt", "insert").setContent("x")).getErrorMessage()).contains("insert needs insert_line");
        assertThat(file(edit("missing.txt", "str_replace").setOldStr("a")).getErrorMessage()).isEqualTo("file 'missing.txt' does not exist");
    }

    private String read(String path) throws WorkspaceException {
        ActionResult r = file(edit(path, "read"));
        assertThat(r.getSuccess()).as(r.toString()).isTrue();
        return r.getOutput();
    }

    private ActionResult file(FileEditAction.Builder edit) throws WorkspaceException {
        return fx.run(ws, edit.build());
    }
}
