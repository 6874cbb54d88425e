package io.mechanize.worker.actions;

import java.util.List;

/**
 * Working-directory checks that run INSIDE the container, where the agent's symlinks are: {@code realpath -m}
 * resolves the path, then its prefix must be {@code /workspace/}. The agent's path is always a
 * positional parameter of a constant script, never spliced into shell text.
 */
final class WorkspacePaths {
    /** Exit code the scripts use for "the path leaves /workspace"; cat, sed, base64 never use it. */
    static final int ESCAPE_EXIT = 97;

    private static final String RESOLVE = """
            given=$1
            case "$given" in /*) p=$given ;; *) p=/workspace/$given ;; esac
            r=$(realpath -m -- "$p") || { echo "cannot resolve path '$given'" >&2; exit 2; }
            case "$r" in
              /workspace/*) ;;
              /workspace) [ "$ALLOW_ROOT" = 1 ] || { echo "path '$given' is /workspace itself, not a file in it" >&2; exit 97; } ;;
              *) echo "path '$given' resolves to '$r', outside /workspace" >&2; exit 97 ;;
            esac
            """;

    /** $1 dir: must be an existing directory at or under /workspace; prints its resolved path. */
    private static final String DIR = "ALLOW_ROOT=1\n" + RESOLVE + """
            if [ ! -d "$r" ]; then echo "working directory '$given' does not exist or is not a directory" >&2; exit 3; fi
            printf '%s' "$r"
            """;

    private WorkspacePaths() {}

    static List<String> directory(String path) {
        return List.of("bash", "-c", DIR, "mechanize-dir", path);
    }

    /**
     * Checks a 1-based inclusive {@code [first, last]} range.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static int[] lineRange(List<Integer> range) {
        if (range == null) {
            return null;
        }
        if (range.size() != 2 || range.get(0) == null || range.get(1) == null) {
            throw new IllegalArgumentException("line_range must be [first, last], was " + range);
        }
        int first = range.get(0);
        int last = range.get(1);
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("line_range " + range + " is invalid: need 1 <= first <= last (1-based, inclusive)");
        }
        return new int[] {first, last};
    }
}
