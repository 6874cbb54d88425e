package io.mechanize.worker.actions;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ResourceLimits;
import io.mechanize.schemas.avro.ResourceUsage;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.StateChanges;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.sandbox.UsageReport;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What every action reports besides its own outcome: the resources it used, the files it
 * changed under /workspace, and each limit that bit, as a security violation. A violation is
 * claimed only on evidence: a cgroup counter that rose, or the kernel's own error text in the
 * action's stderr.
 */
final class ActionObservation {
    private static final long MIB = 1024L * 1024L;

    private ActionObservation() {}

    static ActionResult.Builder apply(ActionResult.Builder result, UsageReport usage, ResourceLimits limits) {
        if (usage.measured()) {
            result.setResourceUsage(ResourceUsage.newBuilder()
                    .setCpuTimeMs(usage.cpuNanos() / 1_000_000)
                    .setPeakMemoryBytes(usage.peakMemoryBytes())
                    .setPeakPids(usage.peakPids())
                    .setWorkspaceBytes(usage.workspaceBytes())
                    .build());
        }
        if (usage.changesKnown()) {
            StateChanges own = result.getStateChanges();
            result.setStateChanges(StateChanges.newBuilder()
                    .setCreated(union(own.getCreated(), usage.created()))
                    .setModified(union(own.getModified(), usage.modified()))
                    .setDeleted(union(own.getDeleted(), usage.deleted()))
                    .build());
        }
        for (SecurityViolation v : detect(result.getStderr(), usage, limits)) {
            boolean known = result.getSecurityViolations().stream().anyMatch(k -> k.getType() == v.getType());
            if (!known) {
                ActionResults.violation(result, v.getType(), v.getDetail());
            }
        }
        return result;
    }

    /** The violations that the usage counters and the stderr text give evidence of. */
    static List<SecurityViolation> detect(String stderr, UsageReport usage, ResourceLimits limits) {
        String err = stderr == null ? "" : stderr;
        List<SecurityViolation> found = new ArrayList<>();
        if (usage.oomKills() > 0) {
            found.add(new SecurityViolation(ViolationType.OOM_KILLED, "the kernel's OOM killer ended " + usage.oomKills()
                    + " process(es): the workspace hit its memory limit of " + limits.getMemoryMb() + " MiB"));
        }
        if (usage.pidsLimitHits() > 0 || (err.contains("fork") && err.contains("Resource temporarily unavailable"))) {
            found.add(new SecurityViolation(ViolationType.PIDS_LIMIT, (usage.pidsLimitHits() > 0
                    ? usage.pidsLimitHits() + " fork(s) were refused" : "a fork was refused")
                    + ": the workspace hit its limit of " + limits.getPidsLimit() + " processes and threads"));
        }
        if (err.contains("No space left on device") || err.contains("Disk quota exceeded")) {
            found.add(new SecurityViolation(ViolationType.DISK_QUOTA, "a write failed with 'No space left on device':"
                    + " /workspace holds " + limits.getWorkspaceDiskMb() + " MiB and /tmp " + limits.getTmpDiskMb()
                    + " MiB (now " + usage.workspaceBytes() / MIB + " MiB used in /workspace)"));
        }
        if (err.contains("Read-only file system")) {
            found.add(new SecurityViolation(ViolationType.READ_ONLY_FS,
                    "a write outside /workspace and /tmp failed: the root file system is read-only"));
        }
        if (err.contains("Network is unreachable")) {
            found.add(new SecurityViolation(ViolationType.NETWORK_DENIED,
                    "a connection attempt failed with 'Network is unreachable': the workspace has no network,"
                            + " or the address is in a range its policy blocks (block_internal_ips)"));
        }
        return found;
    }

    private static List<String> union(List<String> first, List<String> second) {
        Set<String> all = new LinkedHashSet<>(first);
        all.addAll(second);
        return new ArrayList<>(all);
    }
}
