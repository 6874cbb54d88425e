package io.mechanize.worker.sandbox;

import static io.mechanize.worker.sandbox.SandboxFixture.edit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.BuildImageResultCallback;
import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ArchiveSnapshot;
import io.mechanize.schemas.avro.CriterionResult;
import io.mechanize.schemas.avro.CriterionType;
import io.mechanize.schemas.avro.EvaluationCriterion;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.GitOperationAction;
import io.mechanize.schemas.avro.GitSnapshot;
import io.mechanize.schemas.avro.IdeAction;
import io.mechanize.schemas.avro.ImageSnapshot;
import io.mechanize.schemas.avro.InlineSnapshot;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.TestCase;
import io.mechanize.schemas.avro.TestRunAction;
import io.mechanize.schemas.avro.TestSummary;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.workspace.Workspace;
import io.mechanize.worker.workspace.WorkspaceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GIT_OPERATION, TEST_RUN, IDE_ACTION, every evaluation criterion (a SWE-bench style verdict and
 * the final diff included) and every snapshot kind, against the real engine.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolsIT {
    private static final String STATS = """
            def median(xs):
                xs = sorted(xs)
                return xs[len(xs) // 2]
            """;
    private static final String TESTS = """
            from stats import median

            def test_median_odd():
                assert median([3, 1, 2]) == 2

            def test_median_even():
                assert median([4, 1, 3, 2]) == 2.5
            """;
    private static final String CLASS_TESTS = """
            class TestMore:
                def test_one(self):
                    assert True
            """;
    private SandboxFixture fx;
    private Workspace tools;

    @BeforeAll
    void start() throws Exception {
        fx = new SandboxFixture();
        tools = fx.create("tools", InlineSnapshot.newBuilder().setFiles(Map.of(
                "src/app.py", "def main():\n    return 1\n",
                "src/util/helpers.py", "def helper():\n    pass\n",
                "docs/readme.md", "# title\nmain entry\n",
                "bad.py", "def broken(:\n    pass\n")).build());
    }

    @AfterAll
    void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void gitInitAddCommitDiffLogBranchCheckout() throws Exception {
        Workspace ws = fx.create("git", InlineSnapshot.newBuilder().setFiles(Map.of("f.txt", "old\n")).build());
        try (ws) {
            ActionResult init = git(ws, "init");
            assertThat(init.getSuccess()).as(init.toString()).isTrue();
            assertThat(init.getOutput()).contains("Initialized empty Git repository in /workspace/.git/");
            assertThat(git(ws, GitOperationAction.newBuilder().setOperation("add").setPaths(List.of("."))).getSuccess()).isTrue();
            ActionResult commit = git(ws, GitOperationAction.newBuilder().setOperation("commit").setMessage("initial"));
            assertThat(commit.getSuccess()).as(commit.toString()).isTrue();
            assertThat(commit.getOutput()).contains("initial");
            fx.run(ws, edit("f.txt", "write").setContent("new\n").build());
            ActionResult diff = git(ws, "diff");
            assertThat(diff.getOutput()).contains("--- a/f.txt").contains("-old").contains("+new");
            assertThat(git(ws, GitOperationAction.newBuilder().setOperation("commit").setMessage("change")
                    .setArgs(List.of("-a"))).getSuccess()).isTrue();
            ActionResult log = git(ws, "log");
            assertThat(log.getOutput()).contains("Author: mechanize agent <agent@mechanize.invalid>").contains("change")
                    .contains("initial");
            assertThat(git(ws, GitOperationAction.newBuilder().setOperation("checkout").setArgs(List.of("-b", "old-state",
                    "HEAD~1"))).getSuccess()).isTrue();
            assertThat(fx.run(ws, edit("f.txt", "read").build()).getOutput()).isEqualTo("old\n");
            ActionResult back = git(ws, GitOperationAction.newBuilder().setOperation("checkout").setArgs(List.of("main")));
            assertThat(back.getSuccess()).as(back.toString()).isTrue();
            assertThat(back.getStateChanges().getModified()).containsExactly("f.txt");
            assertThat(git(ws, GitOperationAction.newBuilder().setOperation("branch")).getOutput()).contains("* main")
                    .contains("old-state");
            ActionResult failing = git(ws, GitOperationAction.newBuilder().setOperation("checkout").setArgs(List.of("nope")));
            assertThat(failing.getSuccess()).isFalse();
            assertThat(failing.getExitCode()).isNotZero();
            assertThat(failing.getErrorMessage()).startsWith("git checkout exited with code").contains("nope");
        }
    }

    @Test
    void gitRefusesArgumentsThatLeaveTheWorkspace() throws Exception {
        for (List<String> args : List.of(List.of("-C", "/etc"), List.of("--git-dir=/tmp/x"), List.of("--work-tree=/"),
                List.of("--no-index", "/etc/passwd", "x"), List.of("../outside"))) {
            ActionResult refused = git(tools, GitOperationAction.newBuilder().setOperation("status").setArgs(args));
            assertThat(refused.getSecurityViolations()).as(args.toString()).extracting(SecurityViolation::getType)
                    .containsExactly(ViolationType.PATH_ESCAPE);
        }
        ActionResult path = git(tools, GitOperationAction.newBuilder().setOperation("add").setPaths(List.of("/etc/passwd")));
        assertThat(path.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.PATH_ESCAPE);
        // a path that leaves only through a symlink is resolved in the container, and refused there
        fx.sh(tools, "ln -sfn /etc out-link");
        ActionResult linked = git(tools, GitOperationAction.newBuilder().setOperation("add").setPaths(List.of("out-link/passwd")));
        assertThat(linked.getSecurityViolations()).as(linked.toString()).extracting(SecurityViolation::getType)
                .containsExactly(ViolationType.PATH_ESCAPE);
        fx.sh(tools, "rm out-link");
        assertThat(git(tools, "push").getErrorMessage()).startsWith("git operation 'push' is unknown");
    }

    @Test
    void pytestRunReportsEachCaseById() throws Exception {
        Workspace ws = fx.create("pytest", InlineSnapshot.newBuilder().setFiles(Map.of(
                "stats.py", STATS, "test_stats.py", TESTS, "tests/test_more.py", CLASS_TESTS)).build());
        try (ws) {
            ActionResult run = fx.run(ws, TestRunAction.newBuilder().setCommand("python3 -m pytest -q")
                    .setFramework("pytest").setTimeout(60).build());
            assertThat(run.getSuccess()).isFalse();
            assertThat(run.getExitCode()).isEqualTo(1);
            assertThat(run.getOutput()).contains("1 failed, 2 passed");
            TestSummary summary = run.getTestSummary();
            assertThat(summary.getParseError()).isNull();
            assertThat(summary.getPassed()).isEqualTo(2);
            assertThat(summary.getFailed()).isEqualTo(1);
            assertThat(summary.getCases()).extracting(TestCase::getTestId, TestCase::getOutcome).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple("test_stats.py::test_median_odd", "passed"),
                    org.assertj.core.groups.Tuple.tuple("test_stats.py::test_median_even", "failed"),
                    org.assertj.core.groups.Tuple.tuple("tests/test_more.py::TestMore::test_one", "passed"));
            ActionResult generic = fx.run(ws, TestRunAction.newBuilder().setCommand("python3 -m pytest -q tests").build());
            assertThat(generic.getSuccess()).isTrue();
            assertThat(generic.getTestSummary()).isNull();
            ActionResult notPytest = fx.run(ws, TestRunAction.newBuilder().setCommand("true").setFramework("pytest").build());
            assertThat(notPytest.getTestSummary().getParseError()).contains("pytest wrote no JUnit XML report");
            ActionResult junit = fx.run(ws, TestRunAction.newBuilder().setFramework("junit-xml").setReportPath("out/r.xml")
                    .setCommand("mkdir -p out && python3 -m pytest -q tests --junitxml=out/r.xml").build());
            assertThat(junit.getTestSummary().getCases()).extracting(TestCase::getTestId)
                    .containsExactly("tests.test_more.TestMore.test_one");
            // measured by the session in the run's own round trip: what pytest wrote, and its CPU
            assertThat(junit.getStateChanges().getCreated()).contains("out/r.xml");
            assertThat(junit.getResourceUsage().getCpuTimeMs()).isPositive();
        }
    }

    @Test
    void aTestRunStartsWhereAnExecWouldAndItsTimeoutLeavesTheSessionUsable() throws Exception {
        try (Workspace ws = fx.create("test-run-state", null)) {
            fx.sh(ws, "mkdir -p sub && cd sub && export AGENT_VAR=1");
            ActionResult where = fx.run(ws, TestRunAction.newBuilder().setCommand("pwd; echo ${AGENT_VAR:-unset}").build());
            assertThat(where.getOutput()).as("from /workspace and the container's environment, not the agent's shell")
                    .isEqualTo("/workspace\nunset\n");

            ActionResult slow = fx.run(ws, TestRunAction.newBuilder().setCommand("sleep 30").setTimeout(1).build());
            assertThat(slow.getSuccess()).isFalse();
            assertThat(slow.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.TIMEOUT);
            assertThat(fx.sh(ws, "pwd; echo $AGENT_VAR").getOutput()).as("the agent's session kept its state")
                    .isEqualTo("/workspace/sub\n1\n");
        }
    }

    @Test
    void ideSearchFindListViewAndDiagnostics() throws Exception {
        assertThat(ide(IdeAction.newBuilder().setOperation("search").setPattern("def \\w+\\(").setGlob("*.py")).getOutput())
                .isEqualTo("bad.py:1:def broken(:\nsrc/app.py:1:def main():\nsrc/util/helpers.py:1:def helper():\n");
        assertThat(ide(IdeAction.newBuilder().setOperation("search").setPattern("main").setPath("docs")).getOutput())
                .isEqualTo("docs/readme.md:2:main entry\n");
        assertThat(ide(IdeAction.newBuilder().setOperation("find_files").setGlob("src/**/*.py")).getOutput())
                .isEqualTo("src/app.py\nsrc/util/helpers.py\n");
        assertThat(ide(IdeAction.newBuilder().setOperation("list_dir").setDepth(1)).getOutput())
                .isEqualTo("bad.py\ndocs/\nsrc/\n");
        assertThat(ide(IdeAction.newBuilder().setOperation("list_dir").setPath("src").setDepth(2)).getOutput())
                .isEqualTo("app.py\nutil/\n  helpers.py\n");
        assertThat(ide(IdeAction.newBuilder().setOperation("view").setFilePath("src/app.py").setLineRange(List.of(2, 2)))
                .getOutput()).isEqualTo("     2\t    return 1\n");
        ActionResult diagnostics = ide(IdeAction.newBuilder().setOperation("diagnostics"));
        assertThat(diagnostics.getSuccess()).isTrue();
        assertThat(diagnostics.getExitCode()).isEqualTo(1);
        assertThat(diagnostics.getOutput()).startsWith("bad.py:1: SyntaxError: ").hasLineCount(1);
        assertThat(ide(IdeAction.newBuilder().setOperation("diagnostics").setPath("src")).getOutput())
                .isEqualTo("no problems in 2 Python files\n");
        ActionResult escape = ide(IdeAction.newBuilder().setOperation("search").setPattern("root").setPath("/etc"));
        assertThat(escape.getSecurityViolations()).extracting(SecurityViolation::getType).containsExactly(ViolationType.PATH_ESCAPE);
        assertThat(ide(IdeAction.newBuilder().setOperation("search").setPattern("(")).getErrorMessage())
                .startsWith("pattern is not a valid regular expression");
    }

    @Test
    void evaluationJudgesEveryCriterionTypeAsSweBenchDoes() throws Exception {
        Workspace ws = fx.create("eval", InlineSnapshot.newBuilder().setFiles(Map.of(
                "stats.py", STATS, "test_stats.py", TESTS)).build());
        try (ws) {
            List<EvaluationCriterion> criteria = List.of(
                    EvaluationCriterion.newBuilder().setType(CriterionType.TESTS).setName("swe").setFramework("pytest")
                            .setCommand("python3 -m pytest -q").setFailToPass(List.of("test_stats.py::test_median_even"))
                            .setPassToPass(List.of("test_stats.py::test_median_odd")).build(),
                    EvaluationCriterion.newBuilder().setType(CriterionType.FILE_EXISTS).setName("exists")
                            .setFilePath("stats.py").build(),
                    EvaluationCriterion.newBuilder().setType(CriterionType.FILE_CONTAINS).setName("contains")
                            .setFilePath("stats.py").setPattern("/ 2\\.0|\\+ xs\\[").build(),
                    EvaluationCriterion.newBuilder().setType(CriterionType.COMMAND).setName("cmd")
                            .setCommand("python3 -c 'import stats'").build());
            EvaluationMetrics before = ws.evaluate(criteria);
            assertThat(before.getResolved()).isFalse();
            assertThat(before.getCriteriaResults()).extracting(CriterionResult::getPassed).containsExactly(false, true, false, true);
            assertThat(before.getCriteriaResults().getFirst().getDetail())
                    .contains("1 passed, 1 failed").contains("FAIL_TO_PASS 0/1 pass (failing or missing: test_stats.py::test_median_even)")
                    .contains("PASS_TO_PASS 1/1 pass");
            assertThat(before.getTestsPassed()).isEqualTo(1);
            assertThat(before.getTestsFailed()).isEqualTo(1);
            assertThat(before.getFinalDiff()).isEmpty();

            ActionResult fix = fx.run(ws, edit("stats.py", "str_replace").setOldStr("    return xs[len(xs) // 2]\n")
                    .setNewStr("    n = len(xs)\n    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2.0\n").build());
            assertThat(fix.getSuccess()).as(fix.toString()).isTrue();
            fx.run(ws, edit("notes.txt", "write").setContent("added\n").build());
            EvaluationMetrics after = ws.evaluate(criteria);
            assertThat(after.getResolved()).isTrue();
            assertThat(after.getPassed()).isTrue();
            assertThat(after.getCompletionPercentage()).isEqualTo(100.0);
            assertThat(after.getTestsPassed()).isEqualTo(2);
            assertThat(after.getFinalDiff()).contains("--- a/stats.py\n+++ b/stats.py\n").contains("-    return xs[len(xs) // 2]")
                    .contains("+    n = len(xs)").contains("--- /dev/null\n+++ b/notes.txt\n").contains("+added");

            EvaluationMetrics missing = ws.evaluate(List.of(EvaluationCriterion.newBuilder().setType(CriterionType.TESTS)
                    .setFramework("pytest").setCommand("python3 -m pytest -q")
                    .setFailToPass(List.of("test_stats.py::test_not_there")).build(),
                    EvaluationCriterion.newBuilder().setType(CriterionType.FILE_EXISTS).setFilePath("../etc/passwd").build()));
            assertThat(missing.getResolved()).isFalse();
            assertThat(missing.getCriteriaResults().get(1).getDetail()).contains("outside /workspace");
            assertThat(ws.evaluate(List.of(criteria.get(1))).getResolved()).isNull();
        }
    }

    @Test
    void aFirstCommandCriterionSharesTheDiffsExecAndKeepsItsExitCodeDirectoryAndSignals() throws Exception {
        Workspace ws = fx.create("eval-first", InlineSnapshot.newBuilder().setFiles(Map.of("a.txt", "one\n")).build());
        try (ws) {
            fx.run(ws, edit("a.txt", "write").setContent("two\n").build());
            // the command writes a file: the diff, taken before it runs, does not show it
            String probe = "pwd; echo err >&2; touch made-by-criterion.txt; yes | head -n 1 > /dev/null; "
                    + "exit $(( ${PIPESTATUS[0]} == 141 ? 0 : 5 ))";
            String since = engineTime();
            EvaluationMetrics passed = ws.evaluate(List.of(EvaluationCriterion.newBuilder()
                    .setType(CriterionType.COMMAND).setName("probe").setCommand(probe).build()));
            assertThat(execStarts(ws, since, engineTime())).as("the diff and the command in one exec").isEqualTo(1);
            CriterionResult result = passed.getCriteriaResults().getFirst();
            assertThat(result.getPassed()).as("exit 0 only if SIGPIPE killed yes, as in a shell of its own: "
                    + result.getDetail()).isTrue();
            assertThat(result.getDetail()).startsWith("exit code 0").contains("/workspace").contains("err")
                    .doesNotContain("mz-reply");
            assertThat(passed.getFinalDiff()).contains("-one\n+two").doesNotContain("made-by-criterion");

            EvaluationMetrics failed = ws.evaluate(List.of(EvaluationCriterion.newBuilder()
                    .setType(CriterionType.COMMAND).setCommand("exit 4").build(),
                    EvaluationCriterion.newBuilder().setType(CriterionType.FILE_EXISTS).setFilePath("made-by-criterion.txt")
                            .build()));
            assertThat(failed.getCriteriaResults()).extracting(CriterionResult::getPassed).containsExactly(false, true);
            assertThat(failed.getCriteriaResults().getFirst().getDetail()).startsWith("exit code 4");
            assertThat(failed.getFinalDiff()).contains("made-by-criterion.txt");
        }
    }

    @Test
    void anEmptySnapshotIsReadyWithoutACommandAndItsFinalDiffShowsWhatTheAgentMade() throws Exception {
        Workspace ws = fx.create("eval-empty", null);
        try (ws) {
            // the supervisor made the empty pristine copy before the driver started
            assertThat(ws.evaluate(List.of()).getFinalDiff()).isEmpty();
            assertThat(fx.sh(ws, "pwd; ls -A | wc -l; echo hello > made.txt").getOutput()).isEqualTo("/workspace\n0\n");

            EvaluationMetrics metrics = ws.evaluate(List.of(EvaluationCriterion.newBuilder()
                    .setType(CriterionType.FILE_EXISTS).setFilePath("made.txt").build()));

            assertThat(metrics.getCriteriaResults().getFirst().getPassed()).isTrue();
            assertThat(metrics.getFinalDiff()).contains("--- /dev/null").contains("+++ b/made.txt").contains("+hello");
        }
    }

    @Test
    void theFinalDiffShowsEveryKindOfChangeInPatchForm() throws Exception {
        Workspace ws = fx.create("eval-kinds", InlineSnapshot.newBuilder().setFiles(Map.of("keep.txt", "one\ntwo\n",
                "gone.txt", "bye\n", "empty-gone", "", "link-kept", "x\n")).build());
        try (ws) {
            fx.sh(ws, "printf 'one\\n2\\n' > keep.txt; rm gone.txt empty-gone; mkdir -p pkg .git __pycache__;"
                    + " : > pkg/__init__.py; printf 'x\\n' > 'sp ace.txt'; printf 'nonl' > nonl.txt;"
                    + " printf 'a\\0b' > data.bin; ln -s keep.txt link; echo ignored > .git/HEAD; echo c > __pycache__/m.pyc");

            String diff = ws.evaluate(List.of()).getFinalDiff();

            assertThat(diff).contains("diff -u a/keep.txt b/keep.txt\n--- a/keep.txt\n+++ b/keep.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n")
                    .contains("--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n")
                    .contains("diff -u a/empty-gone b/empty-gone\n--- a/empty-gone\n+++ /dev/null\n")
                    .contains("diff -u a/pkg/__init__.py b/pkg/__init__.py\n--- /dev/null\n+++ b/pkg/__init__.py\n")
                    .contains("--- /dev/null\n+++ b/sp ace.txt\n@@ -0,0 +1 @@\n+x\n")
                    .contains("+nonl\n\\ No newline at end of file\n")
                    .contains("Binary files a/data.bin and b/data.bin differ")
                    .contains("--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+symlink -> keep.txt\n")
                    .doesNotContain("link-kept").doesNotContain(".git").doesNotContain("__pycache__")
                    .doesNotContain(SnapshotPlacement.PRISTINE_DIR).doesNotContain("/workspace").doesNotContain("1970");
        }
    }

    @Test
    void modulesTheAgentPlantsInTheWorkspaceCannotForgeAnEvaluation() throws Exception {
        Workspace ws = fx.create("eval-planted", InlineSnapshot.newBuilder().setFiles(Map.of("a.txt", "one\n")).build());
        try (ws) {
            // every module the helper imports, written where a plain `python3 -c` would look first
            // (its working directory, /workspace): each would answer "no change" and exit 0
            String forge = "import os, sys\nsys.stdout.write('\\x1emz-reply 11\\x1e{\"ok\": true}')\nsys.stdout.flush()\n"
                    + "os._exit(0)\n";
            for (String module : List.of("json", "re", "difflib", "subprocess", "tempfile", "sitecustomize", "base64")) {
                fx.run(ws, edit(module + ".py", "write").setContent(forge).build());
            }
            fx.run(ws, edit("a.txt", "write").setContent("two\n").build());

            EvaluationMetrics metrics = ws.evaluate(List.of(EvaluationCriterion.newBuilder()
                    .setType(CriterionType.COMMAND).setName("fails").setCommand("exit 4").build()));

            assertThat(metrics.getCriteriaResults().getFirst().getPassed()).isFalse();
            assertThat(metrics.getCriteriaResults().getFirst().getDetail()).startsWith("exit code 4");
            assertThat(metrics.getFinalDiff()).contains("-one\n+two").contains("json.py");
            ActionResult read = fx.run(ws, edit("a.txt", "read").build());
            assertThat(read.getSuccess()).as(read.getErrorMessage()).isTrue();
        }
    }

    @Test
    void aHelperRequestPastItsBudgetRepliesWithAnErrorAndTheCommandStillRuns() throws Exception {
        // a second handle on the tools workspace's container: never closed, that would remove it
        var container = new DockerSandboxContainer(fx.engine.client(), tools.containerId(), java.time.Clock.systemUTC());
        long started = System.nanoTime();
        var chained = new io.mechanize.worker.toolkit.Helper(container).callThenExec(
                Map.of("op", "run", "argv", List.of("sleep", "20"), "cap", 1000), List.of("bash", "-c", "echo ran; exit 3"),
                java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(30), 65536, 65536).orElseThrow();
        assertThat(chained.reply().ok()).isFalse();
        assertThat(chained.reply().error()).contains("took longer than 1s");
        assertThat(chained.exec().exitCode()).isEqualTo(3);
        assertThat(chained.exec().stdout().text()).isEqualTo("ran\n");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(15));
    }

    private static String engineTime() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() + "." + String.format("%09d", now.getNano());
    }

    /** How many execs the engine started in the workspace's container between two times (its event log). */
    private int execStarts(Workspace ws, String since, String until) throws Exception {
        List<com.github.dockerjava.api.model.Event> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        fx.engine.client().eventsCmd().withContainerFilter(ws.containerId()).withEventFilter("exec_start")
                .withSince(since).withUntil(until)
                .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Event>() {
                    @Override
                    public void onNext(com.github.dockerjava.api.model.Event event) {
                        events.add(event);
                    }
                }).awaitCompletion(10, java.util.concurrent.TimeUnit.SECONDS);
        return events.size();
    }

    @Test
    void archiveGitAndImageSnapshotsArePlaced(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/pkg"));
        Files.writeString(src.resolve("mod.py"), "X = 1\n");
        Files.writeString(dir.resolve("src/top.txt"), "top\n");
        host(dir, "tar", "-czf", "snap.tar.gz", "-C", "src", ".");
        host(dir, "tar", "-cf", "snap.tar", "-C", "src", ".");
        for (String archive : List.of("snap.tar.gz", "snap.tar")) {
            try (Workspace ws = fx.create("archive", ArchiveSnapshot.newBuilder().setPath(dir.resolve(archive).toString()).build())) {
                assertThat(ws.snapshotFiles()).as(archive).isEqualTo(2);
                assertThat(fx.sh(ws, "cat pkg/mod.py top.txt").getOutput()).isEqualTo("X = 1\ntop\n");
            }
        }
        Path repo = dir.resolve("src");
        host(repo, "git", "init", "-q");
        host(repo, "git", "add", ".");
        host(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "one");
        host(repo, "git", "tag", "v1");
        Files.writeString(repo.resolve("top.txt"), "changed later\n");
        try (Workspace ws = fx.create("git-snap", GitSnapshot.newBuilder().setRepository(repo.toString()).setRef("v1").build())) {
            assertThat(ws.snapshotFiles()).isEqualTo(2);
            assertThat(fx.sh(ws, "cat top.txt").getOutput()).isEqualTo("top\n");
        }
        String tag = "mechanize-test/snapshot-" + UUID.randomUUID() + ":it";
        Files.writeString(dir.resolve("Dockerfile"), "FROM mechanize/dev-env:latest\nCOPY src /opt/code\n");
        String imageId = fx.engine.client().buildImageCmd(dir.toFile()).withTags(Set.of(tag))
                .withLabels(SandboxFixture.TEST_LABELS).withPull(false)
                .exec(new BuildImageResultCallback()).awaitImageId(120, TimeUnit.SECONDS);
        try (Workspace ws = fx.create("image-snap", ImageSnapshot.newBuilder().setImage(tag).setPath("/opt/code").build())) {
            assertThat(ws.snapshotFiles()).isEqualTo(2);
            assertThat(fx.sh(ws, "cat pkg/mod.py; stat -c %u pkg/mod.py").getOutput()).isEqualTo("X = 1\n1000\n");
        } finally {
            fx.engine.client().removeImageCmd(imageId).withForce(true).exec();
        }
    }

    @Test
    void aMissingSnapshotFailsTheCreationClearly(@TempDir Path dir) throws Exception {
        int before = fx.factory.heldContainers();
        assertSnapshotFailure(ArchiveSnapshot.newBuilder().setPath("/nonexistent/snap.tar").build(),
                "archive snapshot '/nonexistent/snap.tar' does not exist on this worker's host");
        host(dir, "git", "init", "-q");
        assertSnapshotFailure(GitSnapshot.newBuilder().setRepository(dir.toString()).setRef("no-such-ref").build(),
                "git archive failed");
        assertSnapshotFailure(GitSnapshot.newBuilder().setRepository(dir.toString()).setRef("--output=/tmp/x").build(),
                "ref must be a commit, branch or tag name");
        assertSnapshotFailure(ImageSnapshot.newBuilder().setImage("mechanize/no-such-image:1").setPath("/code").build(),
                "the image is not present on the Docker engine");
        assertSnapshotFailure(ImageSnapshot.newBuilder().setImage("mechanize/dev-env:latest").setPath("/no/such/dir").build(),
                "the path does not exist in the image");
        assertThat(fx.factory.heldContainers()).isEqualTo(before);
        assertThat(fx.engine.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("mechanize.worker", fx.workerId, "mechanize.workspace", "missing")).exec()).isEmpty();
    }

    private void assertSnapshotFailure(Object snapshot, String message) {
        assertThatThrownBy(() -> fx.create("missing", snapshot))
                .isInstanceOf(WorkspaceException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((WorkspaceException) e).stage()).isEqualTo("snapshot");
    }

    private static void host(Path dir, String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", argv) + ": " + out).isZero();
    }

    private ActionResult git(Workspace ws, String operation) throws WorkspaceException {
        return git(ws, GitOperationAction.newBuilder().setOperation(operation));
    }

    private ActionResult git(Workspace ws, GitOperationAction.Builder git) throws WorkspaceException {
        return fx.run(ws, git.build());
    }

    private ActionResult ide(IdeAction.Builder ide) throws WorkspaceException {
        ActionResult result = fx.run(tools, ide.build());
        return result;
    }
}
