package io.mechanize.worker.actions;

import java.util.List;
import java.util.Set;

/**
 * Checks the agent's extra git arguments: nothing that moves git out of {@code /workspace}
 * ({@code -C}, {@code --git-dir}, {@code --work-tree}, {@code --no-index}, absolute paths
 * elsewhere, {@code ..} segments) and nothing that injects configuration or programs
 * ({@code -c}, {@code --exec-path}, {@code --upload-pack}, ...).
 */
final class GitArgs {
    static final List<String> OPERATIONS =
            List.of("init", "status", "diff", "add", "commit", "checkout", "branch", "log", "reset", "apply");
    private static final Set<String> REFUSED_FLAGS = Set.of("-C", "-c", "--git-dir", "--work-tree", "--namespace",
            "--exec-path", "--upload-pack", "--receive-pack", "--exec", "--config-env", "--no-index", "--super-prefix",
            "--separate-git-dir", "--template", "--directory", "--output", "--ext-diff", "--textconv");

    private GitArgs() {}

    /** Why {@code arg} is refused, or null when it may be passed to git. */
    static String refusal(String arg) {
        if (arg == null) {
            return "an argument is null";
        }
        String flag = arg.startsWith("--") && arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        if (REFUSED_FLAGS.contains(flag) || (arg.startsWith("-C") && arg.length() > 2 && !arg.startsWith("--"))) {
            return "git argument '" + arg + "' is not allowed: it could make git act outside /workspace";
        }
        String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : arg;
        if ((value.startsWith("/") && !value.equals("/workspace") && !value.startsWith("/workspace/"))
                || value.equals("..") || value.startsWith("../") || value.contains("/../") || value.endsWith("/..")) {
            return "git argument '" + arg + "' names a path outside /workspace";
        }
        if (value.startsWith("~")) {
            return "git argument '" + arg + "' names a path in a home directory, outside /workspace";
        }
        return null;
    }
}
