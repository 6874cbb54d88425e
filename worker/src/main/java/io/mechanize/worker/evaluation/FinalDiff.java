package io.mechanize.worker.evaluation;

import io.mechanize.worker.sandbox.CappedOutput;
import io.mechanize.worker.sandbox.ExecResult;
import io.mechanize.worker.sandbox.Scripts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The final diff, taken by GNU diff in the evaluation's exec ({@code final-diff.sh}), which then
 * becomes the first COMMAND criterion. Until 2026-11-26 the helper took it in python: about 20 ms
 * of CPU in the container for the interpreter and its imports, about a tenth of a simulation's
 * throughput in the bench (docs/performance-history.md). GNU diff's headers name the two trees; they are
 * rewritten to the {@code a/} and {@code b/} form that {@code patch -p1} and {@code git apply}
 * take, with {@code /dev/null} for a file on one side only, as the helper wrote them.
 */
final class FinalDiff {
    static final String SCRIPT = Scripts.text(FinalDiff.class, "final-diff.sh");
    /** The script's exit code when the image has no GNU diff: nothing ran. */
    static final int NO_GNU_DIFF = 86;
    private static final String WORKSPACE = "/workspace";
    /** GNU diff's timestamp of a file -N treats as empty: the file is on the other side only. */
    private static final String EPOCH = "1970-01-01 00:00:00";
    private static final Pattern HEAD = Pattern.compile("\036mz-diff ([^\n]*)\n");
    private static final String EXTRA = "\036mz-diff-extra\n";

    private FinalDiff() {}

    /** What the exec printed before the command's own output, and what is left of the exec. */
    record Taken(String diff, boolean truncated, String status, ExecResult rest) {}

    /** The exec's argv: the script, then {@code then} (empty: the diff alone). */
    static List<String> argv(String pristine, int capBytes, Duration budget, String end, List<String> then) {
        List<String> argv = new ArrayList<>(List.of("bash", "-c", SCRIPT, "mz-final-diff", pristine,
                Integer.toString(capBytes), Long.toString(Math.max(1, budget.toSeconds())), end));
        argv.addAll(then);
        return argv;
    }

    /**
     * The diff and the rest of the exec's output; empty when the script printed no frame (no GNU
     * diff in the image, exit {@value #NO_GNU_DIFF}, or it did not start), and then nothing ran.
     */
    static Optional<Taken> parse(ExecResult exec, String pristine, String end) {
        String text = exec.stdout().text();
        Matcher head = HEAD.matcher(text);
        String endLine = "\036mz-diff-end " + end + "\n";
        int close = text.indexOf(endLine);
        if (!head.lookingAt() || close < head.end()) {
            return Optional.empty();
        }
        String status = head.group(1);
        boolean truncated = status.endsWith(" truncated");
        String code = truncated ? status.substring(0, status.length() - " truncated".length()) : status;
        String body = text.substring(head.end(), close);
        int extra = body.indexOf(EXTRA);
        String diff = code.equals("missing") ? null : extra < 0 ? normalize(body, pristine)
                : withExtras(normalize(body.substring(0, extra), pristine), body.substring(extra + EXTRA.length()), pristine);
        int restStart = close + endLine.length();
        var stdout = exec.stdout();
        var rest = new CappedOutput(text.substring(restStart), Math.max(0, stdout.totalBytes() - restStart),
                stdout.truncated());
        return Optional.of(new Taken(diff, truncated, code,
                new ExecResult(exec.exitCode(), rest, exec.stderr(), exec.timedOut(), exec.duration())));
    }

    /** GNU diff's output with the trees' paths as {@code a/NAME} and {@code b/NAME}. */
    static String normalize(String gnu, String pristine) {
        StringBuilder out = new StringBuilder(gnu.length());
        String old = pristine + "/";
        String now = WORKSPACE + "/";
        int headers = 0; // the ---/+++ lines still expected after a "diff" line
        for (String line : gnu.split("\n", -1)) {
            if (headers > 0 && line.startsWith(headers == 2 ? "--- " : "+++ ")) {
                String label = headers == 2 ? "--- " : "+++ ";
                int tab = line.lastIndexOf('\t');
                String path = unquote(line.substring(4, tab < 0 ? line.length() : tab));
                boolean absent = tab >= 0 && line.startsWith(EPOCH, tab + 1);
                out.append(label).append(absent ? "/dev/null" : relabel(path, old, now)).append('\n');
                headers--;
                continue;
            }
            headers = 0;
            if (line.startsWith("diff ") && line.contains(" -- ")) {
                String pair = line.substring(line.indexOf(" -- ") + 4);
                String name = nameOf(pair, old, now);
                out.append("diff -u a/").append(name).append(" b/").append(name).append('\n');
                headers = 2;
            } else if (!line.startsWith(" ") && !line.startsWith("+") && !line.startsWith("-")
                    && !line.startsWith("@") && !line.startsWith("\\")) {
                // "Binary files X and Y differ", "File X is a fifo while file Y is ...",
                // "Symbolic links X and Y differ", "diff: X: reason"
                out.append(line.replace("\"" + old, "\"a/").replace("\"" + now, "\"b/").replace(" " + old, " a/")
                        .replace(" " + now, " b/")).append('\n');
            } else {
                out.append(line).append('\n');
            }
        }
        // split(-1) leaves one empty string after a final newline; a diff cut mid-line has none
        out.setLength(out.length() - 1);
        return out.toString();
    }

    /**
     * The diff with what {@code diff -N} cannot show, from the script's list of both trees'
     * symlinks and empty files ("ROOT\tTYPE\tNAME\tTARGET"): an empty file added or removed
     * (headers only, as {@code git diff} shows one) and a symlink's target, as the text
     * "symlink -> TARGET" (as the helper showed it). GNU diff's own lines about those symlinks
     * ("Symbolic links ... differ", or an error for one on one side only) give way to them.
     */
    static String withExtras(String diff, String extras, String pristine) {
        Map<String, String> oldLinks = new TreeMap<>();
        Map<String, String> newLinks = new TreeMap<>();
        Set<String> oldEmpty = new TreeSet<>();
        Set<String> newEmpty = new TreeSet<>();
        for (String line : extras.split("\n")) {
            String[] f = line.split("\t", 4);
            if (f.length < 3 || f[2].isEmpty()) {
                continue;
            }
            boolean old = f[0].equals(pristine);
            if (f[1].equals("l")) {
                (old ? oldLinks : newLinks).put(f[2], f.length > 3 ? f[3] : "");
            } else if (f[1].equals("f")) {
                (old ? oldEmpty : newEmpty).add(f[2]);
            }
        }
        Set<String> shown = new TreeSet<>();
        for (String line : diff.split("\n")) {
            if (line.startsWith("diff -u a/")) {
                // "diff -u a/NAME b/NAME": the same name twice
                int length = (line.length() - "diff -u a/".length() - " b/".length()) / 2;
                shown.add(line.substring("diff -u a/".length(), "diff -u a/".length() + length));
            }
        }
        Set<String> links = new TreeSet<>(oldLinks.keySet());
        links.addAll(newLinks.keySet());
        StringBuilder out = new StringBuilder();
        for (String line : diff.split("\n", -1)) {
            if (!aboutALink(line, links)) {
                out.append(line).append('\n');
            }
        }
        out.setLength(Math.max(0, out.length() - 1));
        if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
            out.append('\n');
        }
        Set<String> empties = new TreeSet<>(oldEmpty);
        empties.addAll(newEmpty);
        empties.removeAll(links);
        for (String name : empties) {
            boolean before = oldEmpty.contains(name);
            boolean after = newEmpty.contains(name);
            if (before != after && !shown.contains(name)) {
                out.append("diff -u a/").append(name).append(" b/").append(name).append('\n')
                        .append("--- ").append(before ? "a/" + name : "/dev/null").append('\n')
                        .append("+++ ").append(after ? "b/" + name : "/dev/null").append('\n');
            }
        }
        for (String name : links) {
            String before = oldLinks.get(name);
            String after = newLinks.get(name);
            if (java.util.Objects.equals(before, after)) {
                continue;
            }
            out.append("diff -u a/").append(name).append(" b/").append(name).append('\n')
                    .append("--- ").append(before != null ? "a/" + name : "/dev/null").append('\n')
                    .append("+++ ").append(after != null ? "b/" + name : "/dev/null").append('\n')
                    .append("@@ -").append(before != null ? "1" : "0,0").append(" +").append(after != null ? "1" : "0,0")
                    .append(" @@\n");
            if (before != null) {
                out.append("-symlink -> ").append(before).append('\n');
            }
            if (after != null) {
                out.append("+symlink -> ").append(after).append('\n');
            }
        }
        return out.toString();
    }

    /** GNU diff's line about a symlink the extras show instead. */
    private static boolean aboutALink(String line, Set<String> links) {
        for (String name : links) {
            if ((line.startsWith("Symbolic links a/" + name + " and b/" + name + " "))
                    || line.equals("diff: a/" + name + ": No such file or directory")
                    || line.equals("diff: b/" + name + ": No such file or directory")) {
                return true;
            }
        }
        return false;
    }

    /** The relative name in "OLD/NAME NEW/NAME", either side quoted when GNU diff quoted it. */
    private static String nameOf(String pair, String old, String now) {
        if (pair.startsWith("\"")) {
            int close = closingQuote(pair, 1);
            return relative(unquote(pair.substring(0, close + 1)), old, now);
        }
        // unquoted: OLD + name + " " + NOW + name, the same name twice
        int nameLength = (pair.length() - old.length() - 1 - now.length()) / 2;
        if (pair.startsWith(old) && nameLength >= 0) {
            return pair.substring(old.length(), old.length() + nameLength);
        }
        return pair;
    }

    private static String relabel(String path, String old, String now) {
        if (path.startsWith(old)) {
            return "a/" + path.substring(old.length());
        }
        if (path.startsWith(now)) {
            return "b/" + path.substring(now.length());
        }
        return path;
    }

    private static String relative(String path, String old, String now) {
        return path.startsWith(old) ? path.substring(old.length())
                : path.startsWith(now) ? path.substring(now.length()) : path;
    }

    private static int closingQuote(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == '\\') {
                i++;
            } else if (s.charAt(i) == '"') {
                return i;
            }
        }
        return s.length() - 1;
    }

    /** GNU diff's C-style quoting of a name with spaces or special characters, undone. */
    static String unquote(String s) {
        if (s.length() < 2 || !s.startsWith("\"") || !s.endsWith("\"")) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length() - 1) {
                out.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                default -> out.append('\\').append(e); // an octal byte of a non-ASCII name stays escaped, as in git
            }
        }
        return out.toString();
    }
}
