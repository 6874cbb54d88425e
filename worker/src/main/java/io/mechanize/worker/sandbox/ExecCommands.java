package io.mechanize.worker.sandbox;

import java.util.ArrayList;
import java.util.List;

/**
 * The argv wrappers around an agent's command. Everything the agent controls is passed as a
 * separate argv element (a positional parameter), never spliced into shell text.
 */
final class ExecCommands {
    /** Env var every process of one exec inherits; the timeout kill finds them by it. */
    static final String MARKER_ENV = "MECHANIZE_EXEC_ID";

    /**
     * Reads exactly N bytes of stdin and pipes them into the command: the engine's attach
     * stream gives no end-of-file to the process, so the byte count does.
     */
    private static final String FRAMED_STDIN = "head -c \"$0\" | \"$@\"";

    /**
     * Kills every process that carries the exec's marker, and the process group of each one
     * that leads a group (setsid makes the command's first process a group leader).
     */
    static final String KILL_SCRIPT = """
            marker="%s=$0"
            for d in /proc/[0-9]*; do
              pid=${d#/proc/}
              if tr '\\0' '\\n' < "$d/environ" 2>/dev/null | grep -qxF -- "$marker"; then
                pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')
                if [ "$pgid" = "$pid" ]; then kill -KILL -- "-$pgid" 2>/dev/null; fi
                kill -KILL "$pid" 2>/dev/null
              fi
            done
            exit 0
            """.formatted(MARKER_ENV);

    private ExecCommands() {}

    /** {@code argv} in a new session and process group, with {@code stdinBytes} framed when >= 0. */
    static List<String> wrap(List<String> argv, int stdinBytes) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv is empty: nothing to run");
        }
        List<String> cmd = new ArrayList<>(List.of("setsid", "--wait"));
        if (stdinBytes >= 0) {
            cmd.addAll(List.of("sh", "-c", FRAMED_STDIN, Integer.toString(stdinBytes)));
        }
        cmd.addAll(argv);
        return cmd;
    }

    static List<String> kill(String execMarker) {
        return List.of("sh", "-c", KILL_SCRIPT, execMarker);
    }
}
