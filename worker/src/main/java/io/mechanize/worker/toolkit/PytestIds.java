package io.mechanize.worker.toolkit;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * pytest node ids ({@code tests/test_stats.py::TestMedian::test_even}) from a JUnit XML
 * testcase's {@code classname} ({@code tests.test_stats.TestMedian}), {@code name} and, when
 * pytest wrote it (junit_family xunit1), {@code file}.
 */
public final class PytestIds {
    private PytestIds() {}

    /**
     * @param file the testcase's file attribute, or null; with it the module part of classname is
     *     known exactly, without it segments that start with an upper-case letter are classes
     */
    public static String nodeId(String classname, String name, String file) {
        requireNonNull(name, "name is null");
        if (classname == null || classname.isEmpty()) {
            return name;
        }
        List<String> segments = List.of(classname.split("\\."));
        if (file != null && file.endsWith(".py")) {
            String module = file.substring(0, file.length() - 3).replace('/', '.');
            if (classname.equals(module) || classname.startsWith(module + ".")) {
                String classes = classname.substring(module.length());
                return file + (classes.isEmpty() ? "" : classes.replace(".", "::")) + "::" + name;
            }
        }
        int firstClass = segments.size();
        while (firstClass > 1 && Character.isUpperCase(segments.get(firstClass - 1).charAt(0))) {
            firstClass--;
        }
        List<String> parts = new ArrayList<>();
        parts.add(String.join("/", segments.subList(0, firstClass)) + ".py");
        parts.addAll(segments.subList(firstClass, segments.size()));
        parts.add(name);
        return String.join("::", parts);
    }
}
