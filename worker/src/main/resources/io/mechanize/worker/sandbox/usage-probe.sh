# The usage probe: one per container, started as  bash -c 'eval "$MZ_PROBE"' mz-probe STATE_DIR MAX_PATHS.
# "begin ID": lists /workspace, reads the cgroup counters, replies "\036ID\036\n", then samples
# memory and pids every 50 ms until "end ID": reads the counters again and replies with
#   U cpu_ns peak_memory_bytes peak_pids oom_kills_delta pids_max_events_delta
#   C|M|D <TAB> path   (created / modified / deleted under /workspace, at most MAX_PATHS each)
#   W workspace_bytes   or   X (the listing could not be taken)
# and "\036ID\036\n". Works on cgroup v1 and v2 (read-only is enough).
S=$1 MAX=$2
mkdir -p -- "$S" || exit 70
unset MZ_PROBE
export LC_ALL=C
C=/sys/fs/cgroup
if [ -f "$C/cgroup.controllers" ]; then
  CPU=$C/cpu.stat MEM=$C/memory.current MEMPEAK=$C/memory.peak OOM=$C/memory.events PIDS=$C/pids.current PIDSEV=$C/pids.events PIDSPEAK=$C/pids.peak
else
  CPU=$C/cpuacct/cpuacct.usage; [ -f "$CPU" ] || CPU=$C/cpu,cpuacct/cpuacct.usage
  MEM=$C/memory/memory.usage_in_bytes MEMPEAK=$C/memory/memory.max_usage_in_bytes OOM=$C/memory/memory.oom_control
  PIDS=$C/pids/pids.current PIDSEV=$C/pids/pids.events PIDSPEAK=$C/pids/pids.peak
fi
value() { # $1 file [$2 key]: the number (after the key), 0 when unreadable
  local k v
  if [ -z "$2" ]; then { read -r v < "$1"; } 2>/dev/null; echo "${v:-0}"; return; fi
  while read -r k v; do [ "$k" = "$2" ] && { echo "$v"; return; }; done < "$1" 2>/dev/null
  echo 0
}
cpu_ns() { if [ "${CPU##*/}" = cpu.stat ]; then echo $(( $(value "$CPU" usage_usec) * 1000 )); else value "$CPU"; fi; }
oom_kills() { value "$OOM" oom_kill; }
listing() { find /workspace -mindepth 1 -xdev -printf '%y %s %T@ %b\t%P\n' 2>/dev/null; }
listing > "$S/before" || : > "$S/before"
while IFS=' ' read -r verb id; do
  case "$verb" in
  begin)
    if listing > "$S/before.new"; then mv -f -- "$S/before.new" "$S/before"; fi
    cpu0=$(cpu_ns) oom0=$(oom_kills) pev0=$(value "$PIDSEV" max) mpk0=$(value "$MEMPEAK") ppk0=$(value "$PIDSPEAK")
    mem=$(value "$MEM") pids=$(value "$PIDS")
    printf '\036%s\036\n' "$id"
    line=
    until IFS=' ' read -r -t 0.05 verb line; do
      { read -r v < "$MEM"; } 2>/dev/null && ((v > mem)) && mem=$v
      { read -r v < "$PIDS"; } 2>/dev/null && ((v > pids)) && pids=$v
    done
    cpu1=$(cpu_ns) oom1=$(oom_kills) pev1=$(value "$PIDSEV" max) mpk1=$(value "$MEMPEAK") ppk1=$(value "$PIDSPEAK")
    v=$(value "$MEM"); ((v > mem)) && mem=$v
    v=$(value "$PIDS"); ((v > pids)) && pids=$v
    ((mpk1 > mpk0)) && mem=$mpk1
    ((ppk1 > ppk0)) && pids=$ppk1
    # no readable cgroup (gVisor shows none): no U line, so the action's usage is unmeasured, not zero
    [ -r "$MEM" ] && printf 'U %s %s %s %s %s\n' $((cpu1 - cpu0)) "$mem" "$pids" $((oom1 - oom0)) $((pev1 - pev0))
    if listing > "$S/after"; then
      # files and links only (a directory is not a change of its own), and nothing inside .git:
      # git's own bookkeeping is not the agent's change to the code
      awk -v MAX="$MAX" '
        function skip(k, type) { return type == "d" || k ~ /(^|\/)\.git(\/|$)/ }
        FILENAME == ARGV[1] { i = index($0, "\t"); b[substr($0, i + 1)] = substr($0, 1, i - 1); next }
        { i = index($0, "\t"); k = substr($0, i + 1); m = substr($0, 1, i - 1); split(m, f, " "); bytes += f[4] * 512
          if (!(k in b)) { if (!skip(k, f[1]) && nc++ < MAX) print "C\t" k }
          else { if (b[k] != m && !skip(k, f[1]) && nm++ < MAX) print "M\t" k; delete b[k] } }
        END { for (k in b) if (!skip(k, substr(b[k], 1, 1)) && nd++ < MAX) print "D\t" k; printf "W %.0f\n", bytes }' "$S/before" "$S/after"
      mv -f -- "$S/after" "$S/before"
    else
      echo X
    fi
    printf '\036%s\036\n' "$id"
    ;;
  esac
done
