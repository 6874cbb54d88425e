package io.mechanize.worker.toolkit;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.TestCase;
import io.mechanize.schemas.avro.TestSummary;
import io.mechanize.worker.sandbox.CappedOutput;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
import io.mechanize.worker.sandbox.ShellRequest;
import io.mechanize.worker.sandbox.ShellResult;
import io.mechanize.worker.sandbox.UsageReport;
import io.mechanize.worker.workspace.WorkspaceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Runs a test command and reads its outcome per test: {@code pytest} (a JUnit XML report in
 * /tmp, asked for through {@code PYTEST_ADDOPTS}, ids converted to pytest node ids),
 * {@code junit-xml} (the report the command writes at report_path, a file or a directory of
 * {@code *.xml}), {@code go-json} ({@code go test -json} on stdout), {@code generic} (the
 * exit code only, no summary).
 */
public final class TestRunner {
    public static final List<String> FRAMEWORKS = List.of("pytest", "junit-xml", "go-json", "generic");
    static final int REPORT_CAP_BYTES = 8 * 1024 * 1024;
    private static final int GO_JSON_CAP_BYTES = 8 * 1024 * 1024;
    private static final Duration REPORT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * @param exec the command's run
     * @param summary the per-test outcome for a result (cases capped), null for {@code generic}
     * @param cases every case the report named (empty for {@code generic} or an unparsed report)
     * @param usage what the command cost and changed, measured by the shell session ({@link #inSession});
     *     unmeasured for a run in an exec
     */
    public record TestRun(ExecResult exec, TestSummary summary, List<TestCase> cases, UsageReport usage) {
        public TestRun {
            requireNonNull(exec, "exec is null");
            requireNonNull(usage, "usage is null");
            cases = List.copyOf(cases);
        }

        TestRun(Ran ran, TestOutcomes outcomes, String parseError) {
            this(ran.exec(), parseError != null ? TestOutcomes.unparsed(parseError) : outcomes.summary(),
                    parseError != null ? List.of() : outcomes.cases(), ran.usage());
        }
    }

    /** The command's run and, through the session, its measurement. */
    private record Ran(ExecResult exec, UsageReport usage) {}

    private final SandboxContainer container;
    private final Helper helper;
    private final boolean inSession;

    /**
     * Tests in a {@code docker exec} of their own, whose exit code comes from the engine: for the
     * evaluation's TESTS criteria.
     */
    public TestRunner(SandboxContainer container) {
        this(container, false);
    }

    private TestRunner(SandboxContainer container, boolean inSession) {
        this.container = requireNonNull(container, "container is null");
        this.inSession = inSession;
        this.helper = inSession ? Helper.inSession(container) : new Helper(container);
    }

    /**
     * Tests through the workspace's default shell session, as a raw command (from the session's
     * first state: /workspace and the container's environment, as an exec has them), measured in
     * the same round trip, and their report read by the session's helper: for the agent's
     * TEST_RUN actions, which then cost no exec.
     */
    public static TestRunner inSession(SandboxContainer container) {
        return new TestRunner(container, true);
    }

    /**
     * @throws IllegalArgumentException for an unknown framework or a junit-xml run without
     *     report_path
     */
    public TestRun run(String command, String framework, String reportPath, Duration timeout, int maxOutputBytes)
            throws WorkspaceException {
        requireNonNull(command, "command is null");
        String fw = framework == null ? "generic" : framework;
        if (!FRAMEWORKS.contains(fw)) {
            throw new IllegalArgumentException("framework '" + fw + "' is unknown; known: " + FRAMEWORKS);
        }
        if (fw.equals("junit-xml") && (reportPath == null || reportPath.isBlank())) {
            throw new IllegalArgumentException("framework junit-xml needs report_path (where the command writes its XML)");
        }
        return switch (fw) {
            case "pytest" -> {
                String report = "/tmp/mechanize-" + UUID.randomUUID() + ".xml";
                Ran ran = run(command, Map.of("PYTEST_ADDOPTS", "--junitxml=" + report + " -o junit_family=xunit1"), timeout,
                        maxOutputBytes);
                yield fromReport(ran, report, true, JUnitXml.Ids.PYTEST);
            }
            case "junit-xml" -> fromReport(run(command, Map.of(), timeout, maxOutputBytes), reportPath, false,
                    JUnitXml.Ids.CLASSNAME_DOT_NAME);
            case "go-json" -> fromGoJson(run(command, Map.of(), timeout, Math.max(maxOutputBytes, GO_JSON_CAP_BYTES)));
            default -> {
                Ran ran = run(command, Map.of(), timeout, maxOutputBytes);
                yield new TestRun(ran.exec(), null, List.of(), ran.usage());
            }
        };
    }

    private Ran run(String command, Map<String, String> env, Duration timeout, int maxOutputBytes)
            throws WorkspaceException {
        if (!inSession) {
            return new Ran(container.exec(List.of("bash", "-c", command), env, null, timeout, maxOutputBytes),
                    UsageReport.unmeasured());
        }
        ShellResult shell = container.shell(SandboxContainer.DEFAULT_SESSION,
                new ShellRequest(command, null, env, timeout, maxOutputBytes, true, true, null, null));
        ExecResult exec = shell.exec();
        if (shell.sessionNote() != null) {
            // the tests took the session down with them (or found it gone): say so after their own stderr
            String note = (exec.stderr().text().isEmpty() ? "" : "\n") + shell.sessionNote() + "\n";
            long total = exec.stderr().totalBytes() + note.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            exec = new ExecResult(exec.exitCode(), exec.stdout(),
                    new CappedOutput(exec.stderr().text() + note, total, exec.stderr().truncated()), exec.timedOut(),
                    exec.duration());
        }
        return new Ran(exec, shell.usage());
    }

    private TestRun fromReport(Ran ran, String path, boolean internal, JUnitXml.Ids ids)
            throws WorkspaceException {
        ExecResult exec = ran.exec();
        HelperReply reply = helper.call(Map.of("op", "read_report", "path", path, "internal", internal,
                "remove", internal, "cap", REPORT_CAP_BYTES), REPORT_TIMEOUT, REPORT_CAP_BYTES / 3 * 4 + 65536);
        if (!reply.ok()) {
            String why = exec.timedOut() ? "the test command timed out before it wrote its report"
                    : internal ? "pytest wrote no JUnit XML report (exit code " + exec.exitCode()
                            + "; is the command pytest, and did it start?)"
                    : reply.error();
            return new TestRun(ran, null, why);
        }
        List<TestCase> cases = new ArrayList<>();
        try {
            for (String report : reply.strings("reports")) {
                cases.addAll(JUnitXml.parse(Base64.getDecoder().decode(report), ids));
            }
        } catch (IllegalArgumentException e) {
            return new TestRun(ran, null, e.getMessage());
        }
        return new TestRun(ran, new TestOutcomes(cases), null);
    }

    private static TestRun fromGoJson(Ran ran) {
        ExecResult exec = ran.exec();
        if (exec.stdout().truncated()) {
            return new TestRun(ran, null, "go test -json output was " + exec.stdout().totalBytes()
                    + " bytes, more than the " + GO_JSON_CAP_BYTES + " this worker parses");
        }
        try {
            return new TestRun(ran, new TestOutcomes(GoTestJson.parse(exec.stdout().text())), null);
        } catch (IllegalArgumentException e) {
            return new TestRun(ran, null, e.getMessage());
        }
    }
}
