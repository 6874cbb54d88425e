package io.mechanize.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench's CPU split, on a /proc and a cgroup tree written by the test as Linux lays them out. */
class CpuSplitTest {
    private static final long BENCH = 300;
    private static final long WORKER = 400;

    @TempDir
    Path root;
    private Path proc;
    private Path cgroups;
    private CpuSplit cpu;

    @BeforeEach
    void layOut() throws IOException {
        proc = Files.createDirectories(root.resolve("proc"));
        cgroups = Files.createDirectories(root.resolve("cgroup"));
        cpu = new CpuSplit(proc, cgroups, BENCH);
    }

    /** A process: its comm, its stat line with utime and stime, its cgroup file. */
    private void process(long pid, String comm, long utime, long stime, String cgroup) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(dir.resolve("comm"), comm + "\n");
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S 1 " + pid + " " + pid + " 0 -1 4194560 900 0 0 0 "
                + utime + " " + stime + " 0 0 20 0 12 0 500 0 0\n");
        Files.writeString(dir.resolve("cgroup"), cgroup);
    }

    private void machine(long user, long system, long idle, long irq) throws IOException {
        Files.writeString(proc.resolve("stat"), "cpu  " + user + " 0 " + system + " " + idle + " 7 " + irq + " 0 0 0 0\n"
                + "cpu0 1 2 3 4 5 6 7 8 0 0\n");
    }

    private void usage(String cgroup, long nanos) throws IOException {
        Path dir = Files.createDirectories(cgroups.resolve(cgroup));
        Files.writeString(dir.resolve("cpuacct.usage"), nanos + "\n");
    }

    private static final String V1_ENGINE = "12:pids:/engine\n4:cpu,cpuacct:/engine\n1:name=systemd:/\n";

    @Test
    void splitsAWindowAmongTheEngineTheContainersAndTheJvmsPerUnit() throws IOException {
        machine(1_000, 500, 9_000, 0);
        process(10, "dockerd", 100, 50, V1_ENGINE);
        process(11, "containerd", 40, 20, V1_ENGINE);
        process(12, "containerd-shim", 5, 5, V1_ENGINE); // not containerd
        process(BENCH, "java", 200, 20, "4:cpu,cpuacct:/\n");
        process(WORKER, "java", 300, 30, "4:cpu,cpuacct:/\n");
        usage("cpuacct/engine", 5_000_000_000L); // 500 jiffies: the daemons, the shims and runc
        usage("cpuacct/docker", 2_000_000_000L);
        CpuSplit.Reading a = cpu.read(WORKER);

        machine(1_000 + 1_500, 500 + 400, 9_500, 100); // 2 000 busy jiffies later
        process(10, "dockerd", 100 + 150, 50 + 50, V1_ENGINE); // +200
        process(11, "containerd", 40 + 80, 20 + 20, V1_ENGINE); // +100
        process(BENCH, "java", 200 + 180, 20 + 20, "4:cpu,cpuacct:/\n"); // +200
        process(WORKER, "java", 300 + 250, 30 + 50, "4:cpu,cpuacct:/\n"); // +300
        usage("cpuacct/engine", 5_000_000_000L + 7_000_000_000L); // +700: 400 of shims and runc
        usage("cpuacct/docker", 2_000_000_000L + 6_000_000_000L); // +600
        CpuSplit.Reading b = cpu.read(WORKER);

        Map<String, Object> split = CpuSplit.perUnit(a, b, 100, 2);
        assertThat(split).containsExactly(
                Map.entry("total", 20.0),
                Map.entry("dockerd", 2.0),
                Map.entry("containerd", 1.0),
                Map.entry("shims_and_runc", 4.0),
                Map.entry("containers", 6.0),
                Map.entry("bench_jvm", 2.0),
                Map.entry("worker_jvm", 3.0),
                Map.entry("rest", 2.0),
                Map.entry("busy_fraction", split.get("busy_fraction")));
        assertThat(CpuSplit.describe(split)).startsWith("20.0 jiffies (dockerd 2.0, containerd 1.0, shims and runc 4.0,"
                + " containers 6.0, bench jvm 2.0, worker jvm 3.0, rest 2.0); cores ");
    }

    @Test
    void anEngineInTheRootCgroupLeavesTheShimsInTheRest() throws IOException {
        String rootCgroup = "4:cpu,cpuacct:/\n";
        machine(1_000, 0, 0, 0);
        process(10, "dockerd", 10, 0, rootCgroup);
        process(11, "containerd", 10, 0, rootCgroup);
        process(BENCH, "java", 10, 0, rootCgroup);
        CpuSplit.Reading a = cpu.read(-1);
        machine(2_000, 0, 0, 0);
        process(10, "dockerd", 110, 0, rootCgroup);
        process(11, "containerd", 60, 0, rootCgroup);
        process(BENCH, "java", 60, 0, rootCgroup);
        CpuSplit.Reading b = cpu.read(-1);

        Map<String, Object> split = CpuSplit.perUnit(a, b, 10, 2);
        assertThat(split.get("shims_and_runc")).isNull();
        assertThat(split.get("containers")).isNull(); // no Docker parent cgroup in this tree
        assertThat(split.get("worker_jvm")).isNull();
        assertThat(split.get("total")).isEqualTo(100.0);
        assertThat(split.get("rest")).isEqualTo(80.0); // 1 000 - 100 - 50 - 50, per unit
    }

    @Test
    void readsTheUnifiedHierarchyOfASystemdHost() throws IOException {
        machine(0, 0, 0, 0);
        process(10, "dockerd", 0, 0, "0::/system.slice/docker.service\n");
        process(11, "containerd", 0, 0, "0::/system.slice/containerd.service\n");
        Path service = Files.createDirectories(cgroups.resolve("system.slice/containerd.service"));
        Files.writeString(service.resolve("cpu.stat"), "usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\n");
        Path docker = Files.createDirectories(cgroups.resolve("docker"));
        Files.writeString(docker.resolve("cpu.stat"), "usage_usec 3000000\n");
        CpuSplit.Reading a = cpu.read(-1);
        machine(1_000, 0, 0, 0);
        process(10, "dockerd", 0, 100, "0::/system.slice/docker.service\n");
        process(11, "containerd", 0, 50, "0::/system.slice/containerd.service\n");
        Files.writeString(service.resolve("cpu.stat"), "usage_usec 3000000\n"); // +200 jiffies
        Files.writeString(docker.resolve("cpu.stat"), "usage_usec 7000000\n"); // +400
        CpuSplit.Reading b = cpu.read(-1);

        Map<String, Object> split = CpuSplit.perUnit(a, b, 10, 2);
        // containerd.service holds containerd and its shims; dockerd is in a service of its own
        assertThat(split.get("shims_and_runc")).isEqualTo(15.0);
        assertThat(split.get("containers")).isEqualTo(40.0);
    }

    @Test
    void containersOfAnEngineThatHadRunNoneYetCountFromNothing() throws IOException {
        machine(0, 0, 0, 0);
        CpuSplit.Reading a = cpu.read(-1); // no cpuacct/docker yet: Docker makes it with its first container
        machine(1_000, 0, 0, 0);
        usage("cpuacct/docker", 3_000_000_000L);
        CpuSplit.Reading b = cpu.read(-1);
        assertThat(CpuSplit.perUnit(a, b, 10, 2).get("containers")).isEqualTo(30.0);
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesIsParsed() throws IOException {
        process(77, "a (strange) name", 12, 30, "");
        assertThat(cpu.jiffiesOf(OptionalLong.of(77))).hasValue(42);
        assertThat(cpu.jiffiesOf(OptionalLong.of(78))).isEmpty(); // gone
    }

    @Test
    void theUnitsMustBePositive() throws IOException {
        machine(0, 0, 0, 0);
        CpuSplit.Reading a = cpu.read(-1);
        assertThatThrownBy(() -> CpuSplit.perUnit(a, a, 0, 2)).hasMessage("units must be positive, got 0");
    }
}
