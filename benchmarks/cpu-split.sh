#!/usr/bin/env bash
# Where the machine's CPU goes during the phases of a `mechanize bench` run: the Docker engine
# (dockerd, containerd, the shims and runc), the containers, the bench's JVM (broker, registry,
# the bench's clients) and the worker's JVM, in jiffies (10 ms of one core) per container or
# simulation. docs/PERFORMANCE.md, "What limits throughput against churn", was measured with it.
# `mechanize bench` now reports the same split for its churn and throughput windows itself
# (cpu_jiffies_per_churn_container, cpu_jiffies_per_simulation); this script is for other windows
# and for a time series of a run.
#
#   benchmarks/cpu-split.sh sample FILE          one line every 0.5 s into FILE until stopped
#   benchmarks/cpu-split.sh split FILE T0 T1 UNITS   the window T0..T1 (epoch seconds) / UNITS
#
# The engine's own share needs dockerd started in a cpuacct cgroup of its own, so that containerd,
# the shims and runc (until a container's process joins the container's cgroup) are in it too:
#   mkdir /sys/fs/cgroup/cpuacct/engine
#   (echo $BASHPID > /sys/fs/cgroup/cpuacct/engine/cgroup.procs; exec dockerd) &
# Docker's parent cgroup (cpuacct/docker) counts the containers, removed ones included. cgroup v1
# only. The phases' times come from the bench's console, e.g. with each line stamped:
#   ./mechanize bench ... | while IFS= read -r l; do echo "$(date +%s.%N) $l"; done
set -euo pipefail

ENGINE=/sys/fs/cgroup/cpuacct/engine/cpuacct.usage
CONTAINERS=/sys/fs/cgroup/cpuacct/docker/cpuacct.usage

jiffies_of() {  # utime + stime of pid $1, 0 when it is not there
  local pid=$1
  if [[ -n $pid && -r /proc/$pid/stat ]]; then
    awk '{ print $14 + $15 }' "/proc/$pid/stat"
  else
    echo 0
  fi
}

usage_of() { [[ -r $1 ]] && cat "$1" || echo 0; }

sample() {
  local out=$1 dockerd containerd bench worker
  dockerd=$(pgrep -x dockerd || true)
  containerd=$(pgrep -x containerd || true)
  [[ -n $dockerd ]] || { echo "cpu-split: no dockerd running" >&2; exit 1; }
  [[ -r $ENGINE ]] || echo "cpu-split: $ENGINE missing: the engine's share will read 0" >&2
  : > "$out"
  while true; do
    # the bench's own command line (java ... -jar .../mechanize-cli.jar bench ...): its worker's has
    # "mechanize-cli.jar io.mechanize.cli.Main worker" and a group named bench-..., so a looser
    # pattern takes the worker for the bench whenever the pids have wrapped
    bench=$(pgrep -f 'mechanize-cli\.jar bench( |$)' | head -1 || true)
    worker=""
    [[ -n $bench ]] && worker=$(pgrep -P "$bench" -x java | head -1 || true)
    # /proc/stat: user nice system idle iowait irq softirq steal
    read -r _ user nice system _ _ irq softirq steal _ < /proc/stat
    echo "$(date +%s.%N) $((user + nice + system + irq + softirq + steal)) $(usage_of $ENGINE)" \
      "$(usage_of $CONTAINERS) $(jiffies_of "$dockerd") $(jiffies_of "$containerd")" \
      "$(jiffies_of "$bench") $(jiffies_of "$worker")" >> "$out"
    sleep 0.5
  done
}

split() {
  local file=$1 t0=$2 t1=$3 units=$4
  awk -v t0="$t0" -v t1="$t1" -v units="$units" '
    function near(t,   i, best, d, bd) {
      bd = -1
      for (i = 1; i <= n; i++) { d = time[i] - t; if (d < 0) d = -d; if (bd < 0 || d < bd) { bd = d; best = i } }
      return best
    }
    { n++; time[n] = $1; for (k = 2; k <= 8; k++) v[n, k] = $k }
    END {
      if (n < 2) { print "cpu-split: fewer than two samples in the file" > "/dev/stderr"; exit 1 }
      a = near(t0); b = near(t1)
      if (a == b) { print "cpu-split: the window holds one sample" > "/dev/stderr"; exit 1 }
      for (k = 2; k <= 8; k++) d[k] = v[b, k] - v[a, k]
      engine = d[3] / 1e7; containers = d[4] / 1e7   # ns to jiffies
      printf "window %.2f s, %d units, %.0f busy jiffies a second\n", time[b] - time[a], units, d[2] / (time[b] - time[a])
      printf "%-45s %8.2f\n", "total", d[2] / units
      printf "%-45s %8.2f\n", "dockerd", d[5] / units
      printf "%-45s %8.2f\n", "containerd", d[6] / units
      printf "%-45s %8.2f\n", "containerd shims and runc", (engine - d[5] - d[6]) / units
      printf "%-45s %8.2f\n", "inside the containers", containers / units
      printf "%-45s %8.2f\n", "bench JVM (broker, registry, clients)", d[7] / units
      printf "%-45s %8.2f\n", "worker JVM", d[8] / units
      printf "%-45s %8.2f\n", "the rest (kernel threads, this sampler)", (d[2] - engine - containers - d[7] - d[8]) / units
    }' "$file"
}

case ${1:-} in
  sample) [[ $# -eq 2 ]] || { echo "usage: $0 sample FILE" >&2; exit 2; }; sample "$2" ;;
  split) [[ $# -eq 5 ]] || { echo "usage: $0 split FILE T0 T1 UNITS" >&2; exit 2; }; split "$2" "$3" "$4" "$5" ;;
  *) echo "usage: $0 sample FILE | split FILE T0 T1 UNITS" >&2; exit 2 ;;
esac
