package io.mechanize.worker.toolkit;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.TestCase;
import io.mechanize.schemas.avro.TestSummary;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.SandboxContainer;
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
     */
    public record TestRun(ExecResult exec, TestSummary summary, List<TestCase> cases) {
        public TestRun {
            requireNonNull(exec, "exec is null");
            cases = List.copyOf(cases);
        }

        TestRun(ExecResult exec, TestOutcomes outcomes, String parseError) {
            this(exec, parseError != null ? TestOutcomes.unparsed(parseError) : outcomes.summary(),
                    parseError != null ? List.of() : outcomes.cases());
        }
    }

    private final SandboxContainer container;
    private final Helper helper;

    public TestRunner(SandboxContainer container) {
        this.container = requireNonNull(container, "container is null");
        this.helper = new Helper(container);
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
        List<String> argv = List.of("bash", "-c", command);
        return switch (fw) {
            case "pytest" -> {
                String report = "/tmp/mechanize-" + UUID.randomUUID() + ".xml";
                ExecResult exec = container.exec(argv,
                        Map.of("PYTEST_ADDOPTS", "--junitxml=" + report + " -o junit_family=xunit1"), null, timeout,
                        maxOutputBytes);
                yield fromReport(exec, report, true, JUnitXml.Ids.PYTEST);
            }
            case "junit-xml" -> {
                ExecResult exec = container.exec(argv, Map.of(), null, timeout, maxOutputBytes);
                yield fromReport(exec, reportPath, false, JUnitXml.Ids.CLASSNAME_DOT_NAME);
            }
            case "go-json" -> {
                ExecResult exec = container.exec(argv, Map.of(), null, timeout, Math.max(maxOutputBytes, GO_JSON_CAP_BYTES));
                yield fromGoJson(exec);
            }
            default -> new TestRun(container.exec(argv, Map.of(), null, timeout, maxOutputBytes), null, List.of());
        };
    }

    private TestRun fromReport(ExecResult exec, String path, boolean internal, JUnitXml.Ids ids)
            throws WorkspaceException {
        HelperReply reply = helper.call(Map.of("op", "read_report", "path", path, "internal", internal,
                "remove", internal, "cap", REPORT_CAP_BYTES), REPORT_TIMEOUT, REPORT_CAP_BYTES / 3 * 4 + 65536);
        if (!reply.ok()) {
            String why = exec.timedOut() ? "the test command timed out before it wrote its report"
                    : internal ? "pytest wrote no JUnit XML report (exit code " + exec.exitCode()
                            + "; is the command pytest, and did it start?)"
                    : reply.error();
            return new TestRun(exec, null, why);
        }
        List<TestCase> cases = new ArrayList<>();
        try {
            for (String report : reply.strings("reports")) {
                cases.addAll(JUnitXml.parse(Base64.getDecoder().decode(report), ids));
            }
        } catch (IllegalArgumentException e) {
            return new TestRun(exec, null, e.getMessage());
        }
        return new TestRun(exec, new TestOutcomes(cases), null);
    }

    private static TestRun fromGoJson(ExecResult exec) {
        if (exec.stdout().truncated()) {
            return new TestRun(exec, null, "go test -json output was " + exec.stdout().totalBytes()
                    + " bytes, more than the " + GO_JSON_CAP_BYTES + " this worker parses");
        }
        try {
            return new TestRun(exec, new TestOutcomes(GoTestJson.parse(exec.stdout().text())), null);
        } catch (IllegalArgumentException e) {
            return new TestRun(exec, null, e.getMessage());
        }
    }
}
