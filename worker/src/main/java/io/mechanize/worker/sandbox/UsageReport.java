package io.mechanize.worker.sandbox;

import static java.util.Objects.requireNonNull;

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
 * @param measured false when the probe did not answer or the container shows no readable cgroup
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
    public UsageReport {
        created = List.copyOf(requireNonNull(created, "created is null"));
        modified = List.copyOf(requireNonNull(modified, "modified is null"));
        deleted = List.copyOf(requireNonNull(deleted, "deleted is null"));
    }

    /** Nothing could be measured (the probe was gone); nothing is claimed. */
    public static UsageReport unmeasured() {
        return new UsageReport(0, 0, 0, 0, 0, 0, List.of(), List.of(), List.of(), false, false);
    }
}
