package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A unified diff, read far enough to name what it touches and which hunk did not apply: the
 * file headers ({@code ---}/{@code +++}) and the hunk headers ({@code @@ ... @@}).
 */
record UnifiedDiff(List<FilePatch> files) {
    private static final Pattern HUNK = Pattern.compile("^@@ -\\d+(?:,\\d+)? \\+\\d+(?:,\\d+)? @@.*");
    private static final Pattern CHECKING = Pattern.compile("^(?:checking|patching) file '?(.+?)'?$");
    private static final Pattern FAILED = Pattern.compile("^Hunk #(\\d+) FAILED at (\\d+).*");
    static final String DEV_NULL = "/dev/null";

    /** One file's part: its old and new names as written, and its hunk headers in order. */
    record FilePatch(String oldPath, String newPath, List<String> hunks) {
        FilePatch {
            requireNonNull(oldPath, "oldPath is null");
            requireNonNull(newPath, "newPath is null");
            hunks = List.copyOf(hunks);
        }

        /** The name the patch writes to (the old one for a deletion). */
        String target() {
            return newPath.equals(DEV_NULL) ? oldPath : newPath;
        }
    }

    UnifiedDiff {
        files = List.copyOf(files);
    }

    /**
     * @throws IllegalArgumentException when the text has no file header and hunk
     */
    static UnifiedDiff parse(String patch) {
        requireNonNull(patch, "patch is null");
        List<FilePatch> files = new ArrayList<>();
        String[] lines = patch.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("--- ") && i + 1 < lines.length && lines[i + 1].startsWith("+++ ")) {
                String oldPath = name(lines[i]);
                String newPath = name(lines[i + 1]);
                List<String> hunks = new ArrayList<>();
                int j = i + 2;
                for (; j < lines.length && !(lines[j].startsWith("--- ") && j + 1 < lines.length
                        && lines[j + 1].startsWith("+++ ")); j++) {
                    if (HUNK.matcher(lines[j]).matches()) {
                        hunks.add(lines[j]);
                    }
                }
                files.add(new FilePatch(oldPath, newPath, hunks));
                i = j - 1;
            }
        }
        if (files.isEmpty() || files.stream().allMatch(f -> f.hunks().isEmpty())) {
            throw new IllegalArgumentException("patch is not a unified diff: it needs '--- old', '+++ new' and '@@ ... @@' lines");
        }
        return new UnifiedDiff(files);
    }

    private static String name(String header) {
        String name = header.substring(4);
        int tab = name.indexOf('\t');
        return (tab >= 0 ? name.substring(0, tab) : name).strip();
    }

    /** 1 when every name carries git's {@code a/} / {@code b/} prefix, else 0. */
    int stripLevel() {
        boolean git = files.stream().allMatch(f -> (f.oldPath().equals(DEV_NULL) || f.oldPath().startsWith("a/"))
                && (f.newPath().equals(DEV_NULL) || f.newPath().startsWith("b/")));
        return git ? 1 : 0;
    }

    /** The paths, relative to /workspace, that the patch touches after stripping. */
    List<String> targets() {
        int strip = stripLevel();
        Set<String> out = new LinkedHashSet<>();
        for (FilePatch f : files) {
            for (String p : List.of(f.oldPath(), f.newPath())) {
                if (!p.equals(DEV_NULL)) {
                    out.add(strip == 1 ? p.substring(2) : p);
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * Names the hunks GNU patch reported as failed, e.g. {@code hunk #2 of stats.py (@@ -10,3
     * +10,4 @@) does not apply at line 10}; other complaints are passed on as patch wrote them.
     */
    String describeFailure(String patchOutput) {
        List<String> problems = new ArrayList<>();
        String file = null;
        int strip = stripLevel();
        for (String line : patchOutput.split("\r?\n")) {
            Matcher checking = CHECKING.matcher(line.strip());
            Matcher failed = FAILED.matcher(line.strip());
            if (checking.matches()) {
                file = checking.group(1);
            } else if (failed.matches()) {
                int n = Integer.parseInt(failed.group(1));
                problems.add("hunk #" + n + " of " + file + hunkHeader(file, n, strip) + " does not apply"
                        + " (patch tried at line " + failed.group(2) + ")");
            } else if (line.contains("can't find file to patch") || line.contains("No file to patch")) {
                problems.add("a file the patch names does not exist");
            } else if (line.contains("Reversed (or previously applied) patch detected")) {
                problems.add("the patch for " + file + " looks already applied (or reversed)");
            } else if (line.contains("malformed patch") || line.contains("Only garbage")) {
                problems.add("patch says: " + line.strip());
            }
        }
        return problems.isEmpty() ? "patch does not apply: " + patchOutput.strip() : String.join("; ", problems);
    }

    private String hunkHeader(String file, int number, int strip) {
        for (FilePatch f : files) {
            String target = f.target();
            String stripped = strip == 1 && target.length() > 2 ? target.substring(2) : target;
            if (stripped.equals(file) && number >= 1 && number <= f.hunks().size()) {
                String header = f.hunks().get(number - 1);
                int end = header.indexOf("@@", 2);
                return " (" + header.substring(0, end + 2) + ")";
            }
        }
        return "";
    }
}
