package io.mechanize.worker.actions;

import java.util.List;

/**
 * Path checks that run INSIDE the container, where the agent's symlinks are: {@code realpath -m}
 * resolves the path, then its prefix must be {@code /workspace/}. The agent's path is always a
 * positional parameter of a constant script, never spliced into shell text.
 */
final class WorkspacePaths {
    static final String ROOT = "/workspace";
    /** Exit code the scripts use for "the path leaves /workspace"; cat, sed, base64 never use it. */
    static final int ESCAPE_EXIT = 97;
    /** Exit code for "not there / not a regular file / not a directory". */
    static final int MISSING_EXIT = 3;

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

    /** $1 path, $2 first line or empty, $3 last line, $4 cap+1: prints base64 of at most $4 bytes. */
    private static final String READ = RESOLVE + """
            if [ ! -e "$r" ]; then echo "file '$given' does not exist" >&2; exit 3; fi
            if [ ! -f "$r" ]; then echo "'$given' is not a regular file" >&2; exit 3; fi
            if [ -n "$2" ]; then sed -n -e "$2,$3p" -e "$3q" -- "$r"; else cat -- "$r"; fi | head -c "$4" | base64 -w0
            """;

    /** $1 path; stdin is the content; prints "created|modified <resolved path>". */
    private static final String WRITE = RESOLVE + """
            if [ -d "$r" ]; then echo "'$given' is a directory" >&2; exit 3; fi
            if [ -e "$r" ]; then state=modified; else state=created; fi
            mkdir -p -- "$(dirname -- "$r")" || exit 4
            cat > "$r" || exit 4
            printf '%s %s\\n' "$state" "$r"
            """;

    /** $1 dir: must be an existing directory at or under /workspace; prints its resolved path. */
    private static final String DIR = "ALLOW_ROOT=1\n" + RESOLVE + """
            if [ ! -d "$r" ]; then echo "working directory '$given' does not exist or is not a directory" >&2; exit 3; fi
            printf '%s' "$r"
            """;

    private WorkspacePaths() {}

    static List<String> read(String path, int[] lineRange, int capBytes) {
        String first = lineRange == null ? "" : Integer.toString(lineRange[0]);
        String last = lineRange == null ? "" : Integer.toString(lineRange[1]);
        return List.of("bash", "-c", READ, "mechanize-read", path, first, last, Integer.toString(capBytes + 1));
    }

    static List<String> write(String path) {
        return List.of("bash", "-c", WRITE, "mechanize-write", path);
    }

    static List<String> directory(String path) {
        return List.of("bash", "-c", DIR, "mechanize-dir", path);
    }

    /** {@code /workspace/a/b} to {@code a/b}. */
    static String relative(String resolved) {
        return resolved.startsWith(ROOT + "/") ? resolved.substring(ROOT.length() + 1) : resolved;
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
