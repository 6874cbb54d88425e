package io.mechanize.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where the machine's CPU goes during a phase of the bench: the Docker engine's daemons (dockerd,
 * containerd), the containerd shims and runc, the containers, the bench's JVM (with the embedded
 * broker and registry), the worker's JVM and the rest, in jiffies (10 ms of one core) per unit
 * (a container of the churn baseline, a simulation). Read from {@code /proc} and the cgroup
 * tree at a phase's start and end, so it costs the phase nothing; a figure this host cannot give
 * is left out of the split and counted in the rest:
 * <ul>
 *   <li>the daemons: found by name in {@code /proc} (none when the engine is on another host);
 *   <li>the shims and runc: the CPU of containerd's cgroup (cpuacct in cgroup v1, cpu.stat in
 *       v2) less containerd's and, when it shares that cgroup, dockerd's own; only when that
 *       cgroup is not the root one (a systemd host's containerd.service, or dockerd started in a
 *       cgroup of its own, see {@code benchmarks/cpu-split.sh});
 *   <li>the containers: Docker's parent cgroup, which keeps the CPU of removed containers
 *       ({@code cpuacct/docker} in v1, {@code docker} in v2 with the cgroupfs driver).
 * </ul>
 * The machine's busy time is {@code /proc/stat}'s user, nice, system, irq, softirq and steal.
 */
public final class CpuSplit {
    /** Linux's USER_HZ on every architecture the engine runs on: the unit of /proc's CPU times. */
    static final long JIFFIES_PER_SECOND = 100;
    private static final long NANOS_PER_JIFFY = 1_000_000_000L / JIFFIES_PER_SECOND;

    /**
     * The counters at one moment; a process or cgroup that was not there reads empty.
     *
     * @param engineCgroupNanos the CPU of containerd's cgroup (its shims' and runc's too), when it
     *     is not the root one
     * @param dockerdInEngineCgroup whether dockerd is in that cgroup too
     */
    public record Reading(long nanoTime, long busyJiffies, OptionalLong dockerd, OptionalLong containerd,
            OptionalLong engineCgroupNanos, boolean dockerdInEngineCgroup, OptionalLong containersNanos,
            long benchJiffies, OptionalLong worker) {}

    private final Path proc;
    private final Path cgroups;
    private final long benchPid;

    CpuSplit(Path proc, Path cgroups, long benchPid) {
        this.proc = proc;
        this.cgroups = cgroups;
        this.benchPid = benchPid;
    }

    /** This host's counters, with this JVM as the bench's. */
    public static CpuSplit ofThisHost() {
        return new CpuSplit(Path.of("/proc"), Path.of("/sys/fs/cgroup"), ProcessHandle.current().pid());
    }

    /** @param workerPid the worker under test, or -1 when the bench did not start one */
    public Reading read(long workerPid) {
        long now = System.nanoTime();
        Map<String, Long> daemons = pidsOf(List.of("dockerd", "containerd"));
        OptionalLong dockerdPid = optional(daemons.get("dockerd"));
        OptionalLong containerdPid = optional(daemons.get("containerd"));
        Optional<Path> engineCgroup = containerdPid.isPresent() ? cgroupOf(containerdPid.getAsLong())
                : Optional.empty();
        OptionalLong engine = engineCgroup.map(this::usageNanos).orElse(OptionalLong.empty());
        boolean dockerdThere = engineCgroup.isPresent() && dockerdPid.isPresent()
                && engineCgroup.equals(cgroupOf(dockerdPid.getAsLong()));
        return new Reading(now, busyJiffies(), jiffiesOf(dockerdPid), jiffiesOf(containerdPid), engine, dockerdThere,
                containersNanos(), jiffiesOf(OptionalLong.of(benchPid)).orElse(0),
                workerPid < 0 ? OptionalLong.empty() : jiffiesOf(OptionalLong.of(workerPid)));
    }

    /**
     * The split of the window {@code a..b} per unit, keys in a fixed order: {@code total},
     * {@code dockerd}, {@code containerd}, {@code shims_and_runc}, {@code containers},
     * {@code bench_jvm}, {@code worker_jvm}, {@code rest}, and {@code busy_fraction} of the
     * machine's cores over the window; a part this host could not read is null.
     */
    public static Map<String, Object> perUnit(Reading a, Reading b, int units, int cores) {
        if (units <= 0) {
            throw new IllegalArgumentException("units must be positive, got " + units);
        }
        long total = b.busyJiffies() - a.busyJiffies();
        OptionalLong dockerd = delta(a.dockerd(), b.dockerd());
        OptionalLong containerd = delta(a.containerd(), b.containerd());
        OptionalLong engine = delta(a.engineCgroupNanos(), b.engineCgroupNanos());
        OptionalLong shims = OptionalLong.empty();
        if (engine.isPresent() && containerd.isPresent()) {
            long daemons = containerd.getAsLong() + (b.dockerdInEngineCgroup() ? dockerd.orElse(0) : 0);
            shims = OptionalLong.of(Math.max(0, engine.getAsLong() / NANOS_PER_JIFFY - daemons));
        }
        // Docker makes its parent cgroup when it starts its first container: none yet has used nothing
        OptionalLong containers = delta(a.containersNanos().isPresent() ? a.containersNanos() : OptionalLong.of(0),
                b.containersNanos());
        if (containers.isPresent()) {
            containers = OptionalLong.of(containers.getAsLong() / NANOS_PER_JIFFY);
        }
        long bench = b.benchJiffies() - a.benchJiffies();
        OptionalLong worker = delta(a.worker(), b.worker());
        long known = bench;
        for (OptionalLong part : List.of(dockerd, containerd, shims, containers, worker)) {
            known += part.orElse(0);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("total", perUnit(total, units));
        out.put("dockerd", perUnit(dockerd, units));
        out.put("containerd", perUnit(containerd, units));
        out.put("shims_and_runc", perUnit(shims, units));
        out.put("containers", perUnit(containers, units));
        out.put("bench_jvm", perUnit(bench, units));
        out.put("worker_jvm", perUnit(worker, units));
        out.put("rest", perUnit(total - known, units));
        double seconds = (b.nanoTime() - a.nanoTime()) / 1e9;
        out.put("busy_fraction", seconds <= 0 ? null
                : Stats.round(total / (seconds * JIFFIES_PER_SECOND * Math.max(1, cores))));
        return out;
    }

    /** One console line of a split: "13.8 jiffies (dockerd 1.9, ..., rest 1.5)". */
    static String describe(Map<String, Object> split) {
        StringBuilder parts = new StringBuilder();
        split.forEach((key, value) -> {
            if (!key.equals("total") && !key.equals("busy_fraction") && value != null) {
                parts.append(parts.isEmpty() ? "" : ", ").append(key.replace('_', ' ')).append(' ').append(value);
            }
        });
        return split.get("total") + " jiffies (" + parts + "); cores " + split.get("busy_fraction") + " busy";
    }

    private static Double perUnit(long jiffies, int units) {
        return Stats.round((double) jiffies / units);
    }

    private static Double perUnit(OptionalLong jiffies, int units) {
        return jiffies.isPresent() ? perUnit(jiffies.getAsLong(), units) : null;
    }

    private static OptionalLong delta(OptionalLong a, OptionalLong b) {
        return a.isPresent() && b.isPresent() ? OptionalLong.of(b.getAsLong() - a.getAsLong()) : OptionalLong.empty();
    }

    private static OptionalLong optional(Long value) {
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    /** The busy jiffies of all cores since boot: the first line of /proc/stat. */
    long busyJiffies() {
        try {
            String cpu = Files.readAllLines(proc.resolve("stat")).getFirst();
            String[] f = cpu.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += i < f.length ? Long.parseLong(f[i]) : 0;
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the machine's CPU time from " + proc.resolve("stat") + ": "
                    + e.getMessage(), e);
        }
    }

    /** utime + stime of a process, from its stat line (after the command's closing parenthesis). */
    OptionalLong jiffiesOf(OptionalLong pid) {
        if (pid.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            String stat = Files.readString(proc.resolve(Long.toString(pid.getAsLong())).resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // f[0] is field 3 (state): utime and stime are fields 14 and 15
            return OptionalLong.of(Long.parseLong(f[11]) + Long.parseLong(f[12]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty(); // gone meanwhile
        }
    }

    /** For each of {@code names}, the oldest process whose command name it is, in one pass over /proc. */
    Map<String, Long> pidsOf(List<String> names) {
        Map<String, Long> found = new java.util.HashMap<>();
        try (var entries = Files.list(proc)) {
            entries.map(p -> p.getFileName().toString())
                    .filter(s -> !s.isEmpty() && s.chars().allMatch(Character::isDigit))
                    .forEach(pid -> {
                        String comm = read(proc.resolve(pid).resolve("comm")).strip();
                        if (names.contains(comm)) {
                            found.merge(comm, Long.parseLong(pid), Math::min);
                        }
                    });
        } catch (IOException | java.io.UncheckedIOException e) {
            // no /proc to read: no daemons found
        }
        return found;
    }

    /**
     * The directory of the CPU controller's cgroup of a process, empty when it is the root one
     * (which holds everything) or unknown.
     */
    Optional<Path> cgroupOf(long pid) {
        String path = null;
        boolean v1 = false;
        for (String line : read(proc.resolve(Long.toString(pid)).resolve("cgroup")).split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (List.of(f[1].split(",")).contains("cpuacct")) {
                path = f[2];
                v1 = true;
            } else if (f[0].equals("0") && f[1].isEmpty() && path == null) {
                path = f[2]; // the unified hierarchy
            }
        }
        if (path == null || path.equals("/")) {
            return Optional.empty();
        }
        Path base = v1 ? cgroups.resolve("cpuacct") : cgroups;
        return Optional.of(base.resolve(path.substring(1)));
    }

    /** The CPU of Docker's parent cgroup of its containers, removed ones included. */
    OptionalLong containersNanos() {
        OptionalLong v1 = usageNanos(cgroups.resolve("cpuacct").resolve("docker"));
        return v1.isPresent() ? v1 : usageNanos(cgroups.resolve("docker"));
    }

    /** A cgroup's CPU in nanoseconds: cpuacct.usage (v1) or cpu.stat's usage_usec (v2). */
    OptionalLong usageNanos(Path dir) {
        String v1 = read(dir.resolve("cpuacct.usage")).strip();
        if (!v1.isEmpty()) {
            return OptionalLong.of(Long.parseLong(v1));
        }
        for (String line : read(dir.resolve("cpu.stat")).split("\n")) {
            if (line.startsWith("usage_usec ")) {
                return OptionalLong.of(Long.parseLong(line.substring("usage_usec ".length()).strip()) * 1000);
            }
        }
        return OptionalLong.empty();
    }

    /** A small /proc or cgroup file, or "" when it is not there (or not readable). */
    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
