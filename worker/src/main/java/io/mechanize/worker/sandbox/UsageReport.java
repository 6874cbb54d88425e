package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * What one action cost the container, from its cgroup, and what it changed under /workspace.
 *
 * @param cpuNanos CPU time of all the container's processes during the action
 * @param peakMemoryBytes highest memory use seen during the action (exact when the action set
 *     a new container peak, else sampled every 50 ms)
 * @param peakPids most processes and threads seen at once (same rule)
 * @param oomKills processes the kernel's OOM killer ended during the action
 * @param pidsLimitHits forks refused by the pids limit during the action
 * @param workspaceBytes bytes allocated in /workspace after the action
 * @param changesKnown false when the listing of /workspace could not be taken (then the path
 *     lists are empty)
 * @param measured false when the session did not measure or the container shows no readable cgroup
 *     (gVisor): then every number but workspaceBytes is 0 and means nothing
 */
public record UsageReport(
        long cpuNanos,
        long peakMemoryBytes,
        int peakPids,
        long oomKills,
        long pidsLimitHits,
        long workspaceBytes,
        List<String> created,
        List<String> modified,
        List<String> deleted,
        boolean changesKnown,
        boolean measured) {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(UsageReport.class);

    public UsageReport {
        created = List.copyOf(requireNonNull(created, "created is null"));
        modified = List.copyOf(requireNonNull(modified, "modified is null"));
        deleted = List.copyOf(requireNonNull(deleted, "deleted is null"));
    }

    /**
     * The report a shell session's driver appends to its reply for a measured command
     * ({@code observe.sh}'s {@code __mz_end}): "U cpu_ns peak_memory peak_pids oom_kills
     * refused_forks", the changed paths ("C|M|D<TAB>path"), "W workspace_bytes" (or "X" when
     * /workspace could not be listed) and "N note" lines for the log.
     */
    static UsageReport parse(String text) {
        long[] u = new long[5];
        long workspaceBytes = 0;
        boolean changesKnown = false;
        boolean measured = false;
        List<String> created = new ArrayList<>();
        List<String> modified = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("U ")) {
                String[] f = line.substring(2).trim().split(" ");
                for (int i = 0; i < Math.min(5, f.length); i++) {
                    u[i] = parseLong(f[i]);
                }
                measured = true;
            } else if (line.startsWith("W ")) {
                workspaceBytes = parseLong(line.substring(2).trim());
                changesKnown = true;
            } else if (line.startsWith("N ")) {
                log.warn("measuring the action: {}", line.substring(2));
            } else if (line.length() > 2 && line.charAt(1) == '\t') {
                String path = line.substring(2);
                switch (line.charAt(0)) {
                    case 'C' -> created.add(path);
                    case 'M' -> modified.add(path);
                    case 'D' -> deleted.add(path);
                    default -> { } // not ours
                }
            }
        }
        return new UsageReport(u[0], u[1], (int) Math.min(Integer.MAX_VALUE, u[2]), Math.max(0, u[3]), Math.max(0, u[4]),
                workspaceBytes, created, modified, deleted, changesKnown, measured);
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Nothing could be measured (the session did not answer); nothing is claimed. */
    public static UsageReport unmeasured() {
        return new UsageReport(0, 0, 0, 0, 0, 0, List.of(), List.of(), List.of(), false, false);
    }
}
