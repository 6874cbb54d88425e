package io.mechanize.worker.toolkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mechanize.schemas.avro.TestCase;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test cases from {@code go test -json} (test2json events, one JSON object a line): the last
 * pass/fail/skip of each test, with id {@code <package>::<Test>}. A package that fails without
 * any test failing (a build error) is one error case named by its package. Lines that are not
 * JSON (build output) are ignored; a stream without a single event cannot be parsed.
 */
public final class GoTestJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GoTestJson() {}

    /** @throws IllegalArgumentException when no test2json event is in {@code stdout} */
    public static List<TestCase> parse(String stdout) {
        Map<String, String> outcomes = new LinkedHashMap<>();
        Map<String, Boolean> packageHasFailedTest = new LinkedHashMap<>();
        Map<String, String> packageOutcome = new LinkedHashMap<>();
        int events = 0;
        for (String line : stdout.split("\n")) {
            JsonNode event = event(line.strip());
            if (event == null) {
                continue;
            }
            events++;
            String action = event.path("Action").asText();
            String pkg = event.path("Package").asText("");
            String test = event.path("Test").asText("");
            String outcome = switch (action) {
                case "pass" -> TestOutcomes.PASSED;
                case "fail" -> TestOutcomes.FAILED;
                case "skip" -> TestOutcomes.SKIPPED;
                default -> null;
            };
            if (outcome == null) {
                continue;
            }
            if (test.isEmpty()) {
                packageOutcome.put(pkg, outcome);
            } else {
                outcomes.put(pkg + "::" + test, outcome);
                if (outcome.equals(TestOutcomes.FAILED)) {
                    packageHasFailedTest.put(pkg, true);
                }
            }
        }
        if (events == 0) {
            throw new IllegalArgumentException("no `go test -json` event in the output (was -json passed?)");
        }
        List<TestCase> cases = new ArrayList<>();
        outcomes.forEach((id, outcome) -> cases.add(new TestCase(id, outcome)));
        packageOutcome.forEach((pkg, outcome) -> {
            if (outcome.equals(TestOutcomes.FAILED) && !packageHasFailedTest.getOrDefault(pkg, false)) {
                cases.add(new TestCase(pkg, TestOutcomes.ERROR));
            }
        });
        return cases;
    }

    private static JsonNode event(String line) {
        if (!line.startsWith("{")) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(line);
            return node.isObject() && node.has("Action") ? node : null;
        } catch (IOException e) {
            return null;
        }
    }
}
