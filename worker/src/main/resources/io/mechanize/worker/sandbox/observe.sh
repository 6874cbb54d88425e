# What one action cost the container and what it changed under /workspace, for the shell driver
# (shell-driver.sh), which measures every action in its round trip. Bash builtins only, and a resident
# lister: an action's measurement must cost well under a millisecond, not a fork per counter.
#   __mz_begin            start counters (cgroup CPU, OOM kills, refused forks, peaks)
#   __mz_sample           memory and pids now; keeps the highest seen (call every 50 ms or so)
#   __mz_end              appends the report to __mz_rep (the caller writes it out with its reply in
#                         one write): "U cpu_ns peak_memory peak_pids oom_kills refused_forks",
#                         then the changes since the baseline ("C|M|D<TAB>path", at most MAX each)
#                         and "W workspace_bytes", or "X" when /workspace could not be listed; and
#                         "N text" when the resident lister had to be stopped (for the log)
#   __mz_baseline         takes the listing that the next __mz_end compares against
#   __mz_lstart           starts this process's resident lister early (else the first listing does)
# The baseline is one file for the whole container (every session uses it), so an
# action's changes are those since the previous action's end. Works on cgroup v1 and v2, read-only.
# Listing /workspace: a small tree is listed by a resident perl process (about 0.2 ms a request,
# where a find costs a fork and an exec, 1-2 ms); from LISTER_MAX_BYTES of listing on, find walks
# faster than perl and lists it. Their timestamps differ in the last digits, so the file "lister"
# says which of them made the baseline ("p" or "f"), and every listing is made by that one.
__mz_O=/tmp/.mechanize/observe
[ -d "$__mz_O" ] || mkdir -p -- "$__mz_O" 2>/dev/null
__mz_C=/sys/fs/cgroup
if [ -f "$__mz_C/cgroup.controllers" ]; then
  __mz_CPU=$__mz_C/cpu.stat __mz_MEM=$__mz_C/memory.current __mz_MEMPEAK=$__mz_C/memory.peak
  __mz_OOM=$__mz_C/memory.events __mz_PIDS=$__mz_C/pids.current __mz_PIDSEV=$__mz_C/pids.events
  __mz_PIDSPEAK=$__mz_C/pids.peak
else
  __mz_CPU=$__mz_C/cpuacct/cpuacct.usage; [ -f "$__mz_CPU" ] || __mz_CPU=$__mz_C/cpu,cpuacct/cpuacct.usage
  __mz_MEM=$__mz_C/memory/memory.usage_in_bytes __mz_MEMPEAK=$__mz_C/memory/memory.max_usage_in_bytes
  __mz_OOM=$__mz_C/memory/memory.oom_control __mz_PIDS=$__mz_C/pids/pids.current
  __mz_PIDSEV=$__mz_C/pids/pids.events __mz_PIDSPEAK=$__mz_C/pids/pids.peak
fi
__mz_MAX=1000  # at most this many paths of each kind per report
__mz_LISTER_MAX_BYTES=65536  # about 1000 entries
# a counter file this cgroup does not have (pids.peak on v1, any under gVisor) is never opened
# again; and the callers' stderr is /dev/null, so reading costs no redirection
for __mz_f in CPU MEM MEMPEAK OOM PIDS PIDSEV PIDSPEAK; do
  __mz_p=__mz_$__mz_f
  [ -r "${!__mz_p}" ] || printf -v "$__mz_p" '%s' ""
done
unset __mz_f __mz_p

__mz_val() { # $1 variable, $2 file, [$3 key]: sets $1 to the number (after the key), 0 when unreadable
  local __k __x __v=0
  if [ -z "$2" ]; then
    :
  elif [ -z "$3" ]; then
    read -r __x < "$2" && __v=${__x:-0}
  else
    while read -r __k __x; do [ "$__k" = "$3" ] && { __v=$__x; break; }; done < "$2"
  fi
  case $__v in '' | *[!0-9]*) __v=0 ;; esac
  printf -v "$1" '%s' "$__v"
}
__mz_cpu() { # $1 variable: CPU nanoseconds of the container
  if [ "${__mz_CPU##*/}" = cpu.stat ]; then
    __mz_val "$1" "$__mz_CPU" usage_usec
    printf -v "$1" '%s' $(( ${!1} * 1000 ))
  else
    __mz_val "$1" "$__mz_CPU"
  fi
}
__mz_begin() {
  __mz_cpu __mz_cpu0; __mz_val __mz_oom0 "$__mz_OOM" oom_kill; __mz_val __mz_pev0 "$__mz_PIDSEV" max
  # single numbers, read inline (a function call costs as much as the read): a file this cgroup
  # lacks has an empty name, its read fails, and the 0 stays
  __mz_mpk0=0 __mz_ppk0=0 __mz_mem=0 __mz_pids=0
  read -r __mz_mpk0 < "$__mz_MEMPEAK"; read -r __mz_ppk0 < "$__mz_PIDSPEAK"
  read -r __mz_mem < "$__mz_MEM"; read -r __mz_pids < "$__mz_PIDS"
}
__mz_sample() {
  local v
  [ -n "$__mz_MEM" ] && read -r v < "$__mz_MEM" && ((v > __mz_mem)) && __mz_mem=$v
  [ -n "$__mz_PIDS" ] && read -r v < "$__mz_PIDS" && ((v > __mz_pids)) && __mz_pids=$v
  return 0
}
__mz_list() { find /workspace -mindepth 1 -xdev -printf '%y %s %T@ %b\t%P\n' 2>/dev/null; }
# the resident lister: find's listing, in find's format with microsecond timestamps; one request
# ("SEQ FILE": a file to write) per line. Each reply ("SEQ ready", "SEQ ok" or "SEQ fail") goes to
# the status file named by its argument, whole, and only then a newline to stdout wakes the driver: bash
# can lose a byte of a fifo read that times out (the newline, and the driver would wait for a line
# that never ends), so what a reply says never travels through a fifo that bash reads with -t.
__mz_LISTER='use strict; use Time::HiRes (); use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
$| = 1;
# the driver waits on its ends of its done fifo (3) and of this reply fifo (6) with read -t, which
# waits for input and then reads: another reader (the agent) could take the input in between and
# leave that read blocked for good. Non-blocking (the flag belongs to the open file of the driver),
# the read fails instead. Then this process lets go of both.
for my $fd (3, 6) {
  open(my $h, "<&=", $fd) or next;
  my $fl = fcntl($h, F_GETFL, 0);
  fcntl($h, F_SETFL, $fl | O_NONBLOCK) if defined $fl;
  close($h);
}
# the cgroup counters that the driver reads at the end of an action: CPU, OOM kills, refused forks,
# memory and pids peaks, memory and pids now ("" for a file this cgroup lacks)
my ($st, @counters) = @ARGV;
sub counter {
  my ($i, $f) = ($_[0], $counters[$_[0]]);
  my $key = $i == 0 ? ($f =~ m{/cpu\.stat$} ? "usage_usec" : "") : $i == 1 ? "oom_kill" : $i == 2 ? "max" : "";
  my $h;
  return 0 if $f eq "" || !open($h, "<", $f);
  while (my $l = <$h>) {
    my ($k, $v) = $key eq "" ? ("", $l) : split / /, $l;
    next if $k ne $key;
    return 0 unless defined $v && $v =~ /^(\d+)/;
    return $key eq "usage_usec" ? $1 * 1000 : $1;
  }
  return 0;
}
sub reply {
  my $s;
  if (open($s, ">", $st)) { print $s "$_[0]\n"; close($s); }
  print "\n";
}
reply("0 ready");
my $dev;
sub walk {
  my ($dir, $rel, $o) = @_;
  opendir(my $dh, $dir) or return 0;
  for my $e (readdir $dh) {
    next if $e eq "." || $e eq "..";
    my $p = "$dir/$e";
    my @s = Time::HiRes::lstat($p) or next;
    my $t = -l _ ? "l" : -d _ ? "d" : -f _ ? "f" : -p _ ? "p" : -S _ ? "s" : -c _ ? "c" : -b _ ? "b" : "U";
    my $r = $rel eq "" ? $e : "$rel/$e";
    printf $o "%s %d %.9f %d\t%s\n", $t, $s[7], $s[9], $s[12], $r;
    walk($p, $r, $o) || return 0 if $t eq "d" && $s[0] == $dev;
  }
  closedir $dh;
}
# a request is "SEQ FILE"; the reply "SEQ ok CPU OOM PEV MPK PPK MEM PIDS" (the counters, read
# before the listing, in the same round trip) or "SEQ fail"
while (my $line = <STDIN>) {
  chomp $line;
  my ($seq, $f) = split / /, $line, 2;
  my $counts = join(" ", map { counter($_) } 0 .. 6);
  my $ok = open(my $o, ">", $f) && (($dev) = lstat "/workspace");
  $ok = walk("/workspace", "", $o) && close($o) if $ok;
  reply($seq . ($ok ? " ok $counts" : " fail"));
}'
__mz_COUNTS='^[0-9]+( [0-9]+){6}$'  # the counters in a lister's "ok"
__mz_LW=  # the lister's pid; 0 once it cannot run here (no perl, no Time::HiRes, failures)
__mz_LGEN=0 __mz_LFAILS=0
__mz_lstart() {
  # fifos of their own for each lister, so that nothing a dead one left behind is read
  local q=$__mz_O/lister.$$.$((++__mz_LGEN))
  __mz_LW=0 __mz_LREADY= __mz_LQ=$q __mz_LSEQ=0
  mkfifo -m 600 -- "$q.in" "$q.out" || return 1
  # this process holds both ends of both fifos: a dead lister means no reply, never a SIGPIPE;
  # the lister holds only its own ends, so it reads end-of-file when this process is gone
  exec 5<> "$q.in" 6<> "$q.out" || return 1
  perl -e "$__mz_LISTER" "$q.status" "$__mz_CPU" "$__mz_OOM" "$__mz_PIDSEV" "$__mz_MEMPEAK" \
    "$__mz_PIDSPEAK" "$__mz_MEM" "$__mz_PIDS" < "$q.in" > "$q.out" 4>&- 5>&- 7>&- 8>&- &
  __mz_LW=$!
}
__mz_lalive() {
  local st=
  { read -r _ _ st _ < "/proc/$__mz_LW/stat"; }
  [ -n "$st" ] && [ "$st" != Z ]
}
__mz_lreply() { # $1 the reply expected to request __mz_LSEQ. 0: it came; 1: another one came;
  # 2: no reply, the lister died or took longer than 10 s (a small tree takes milliseconds).
  # __mz_LWHY says what happened. The fifo only wakes this process; the reply is in the status file.
  # What follows the reply's first word is left in __mz_LCOUNT (an "ok"'s counters).
  local seq until=$(( ${EPOCHREALTIME/./} + 10000000 ))
  __mz_LLINE= __mz_LCOUNT=
  # the status file is written whole before the wake-up: a reply read too early (without its
  # newline, or the last one's) does not match, and the next wake-up or poll reads it again
  until read -r -t 0.05 _ <&6; { read -r seq __mz_LLINE < "$__mz_LQ.status"; } && [ "$seq" = "$__mz_LSEQ" ]; do
    __mz_lalive || { __mz_LWHY="it exited before it answered"; return 2; }
    (( ${EPOCHREALTIME/./} < until )) || { __mz_LWHY="it did not answer within 10 s"; return 2; }
  done
  __mz_LWHY="it answered '$__mz_LLINE' where '$1' was expected"
  [ "${__mz_LLINE%% *}" = "$1" ] || return 1
  [ "$__mz_LLINE" = "$1" ] || __mz_LCOUNT=${__mz_LLINE#* }
  return 0
}
__mz_lstop() { # $1: 1 to allow a new lister later (three times), else this process uses find
  # what went wrong with a lister that did run goes into the next report as an "N" line, for the
  # worker's log (an image without perl is no news)
  [ "$1" = 1 ] && __mz_LNOTE="the resident lister (pid $__mz_LW) was stopped: $__mz_LWHY"
  kill -KILL "$__mz_LW" 2>/dev/null
  exec 5>&- 6>&-
  __mz_LW=0
  [ "$1" = 1 ] && ((++__mz_LFAILS <= 3)) && __mz_LW=
  return 0
}
__mz_plist() { # $1 file: the lister lists /workspace into it; fails when it cannot
  if [ -z "$__mz_LW" ]; then
    __mz_lstart
  elif ((__mz_LW > 0)) && ! __mz_lalive; then
    # killed (by the agent, say): a new one
    exec 5>&- 6>&-
    __mz_lstart
  fi
  ((__mz_LW > 0)) || return 1
  if [ -z "$__mz_LREADY" ]; then
    # without perl or Time::HiRes the lister exits at once, and find lists from now on; one
    # that is merely slow to start (a loaded machine) may be tried again
    if ! __mz_lreply ready; then
      if __mz_lalive; then __mz_lstop 1; else __mz_lstop 0; fi
      return 1
    fi
    __mz_LREADY=1
  fi
  printf '%s %s\n' "$((++__mz_LSEQ))" "$1" >&5
  __mz_lreply ok
  case $? in
  0) return 0 ;;
  1) [ "${__mz_LLINE%% *}" = fail ] && return 1 ;;  # /workspace could not be listed
  esac
  __mz_lstop 1
  return 1
}
__mz_listto() { # $1 file, $2 the lister (p or f)
  if [ "$2" = p ]; then __mz_plist "$1"; else __mz_list > "$1"; fi
}
__mz_lpick() { # $1 the listing just made, $2 its lister: when the other one suits its size now,
  # the baseline is listed again with that one
  local want=f
  ((${#1} < __mz_LISTER_MAX_BYTES)) && [ "$__mz_LW" != 0 ] && want=p
  [ "$want" = "$2" ] && return 0
  __mz_listto "$__mz_O/listing" "$want" || return 0
  printf '%s\n' "$want" > "$__mz_O/lister"
}
__mz_baseline() {
  local fmt=p listing
  if ! __mz_plist "$__mz_O/listing"; then
    fmt=f
    __mz_list > "$__mz_O/listing" || : > "$__mz_O/listing"
  fi
  printf '%s\n' "$fmt" > "$__mz_O/lister"
  : > "$__mz_O/bytes"
  IFS= read -r -d '' listing < "$__mz_O/listing"
  __mz_lpick "$listing" "$fmt"
}
__mz_end() {
  __mz_report
  [ -n "$__mz_LNOTE" ] && __mz_rep+="N $__mz_LNOTE"$'\n'
  __mz_LNOTE=
  return 0
}
__mz_report() {
  local cpu1 oom1 pev1 mpk1 ppk1 new old bytes fmt listed=1 c
  fmt=f
  { read -r fmt < "$__mz_O/lister"; }
  # the resident lister reads the counters in the same round trip as its listing (each read here
  # costs 20-30 us, a third of a millisecond for all of them)
  __mz_LCOUNT=
  if [ "$fmt" = p ]; then __mz_plist "$__mz_O/listing.new" || listed=0; fi
  if [[ $__mz_LCOUNT =~ $__mz_COUNTS ]]; then
    c=($__mz_LCOUNT)
    cpu1=${c[0]} oom1=${c[1]} pev1=${c[2]} mpk1=${c[3]} ppk1=${c[4]}
    ((c[5] > __mz_mem)) && __mz_mem=${c[5]}
    ((c[6] > __mz_pids)) && __mz_pids=${c[6]}
  else
    __mz_cpu cpu1; __mz_val oom1 "$__mz_OOM" oom_kill; __mz_val pev1 "$__mz_PIDSEV" max
    mpk1=0 ppk1=0
    read -r mpk1 < "$__mz_MEMPEAK"; read -r ppk1 < "$__mz_PIDSPEAK"
    __mz_sample
  fi
  ((mpk1 > __mz_mpk0)) && __mz_mem=$mpk1
  ((ppk1 > __mz_ppk0)) && __mz_pids=$ppk1
  # no readable cgroup (gVisor shows none): no U line, so the action's usage is unmeasured, not zero
  [ -n "$__mz_MEM" ] && __mz_rep+="U $((cpu1 - __mz_cpu0)) $__mz_mem $__mz_pids $((oom1 - __mz_oom0)) \
$((pev1 - __mz_pev0))"$'\n'
  [ "$fmt" = p ] || { __mz_list > "$__mz_O/listing.new" || listed=0; }
  if ((!listed)); then
    # unlisted: this action's changes are unknown; with the resident lister gone, find's listing
    # becomes the baseline
    [ "$fmt" = p ] && __mz_list > "$__mz_O/listing" && printf 'f\n' > "$__mz_O/lister"
    __mz_rep+=$'X\n'
    return 0
  fi
  [ -f "$__mz_O/listing" ] || : > "$__mz_O/listing"
  IFS= read -r -d '' new < "$__mz_O/listing.new"
  IFS= read -r -d '' old < "$__mz_O/listing"
  { read -r bytes < "$__mz_O/bytes"; }
  if [[ $new == "$old" && -n $bytes ]]; then
    __mz_rep+="W $bytes"$'\n'   # nothing changed: the common case costs no awk
    return 0
  fi
  # files and links only (a directory is not a change of its own), nothing inside .git (git's
  # own bookkeeping is not the agent's change to the code), no path with a marker byte in it
  __mz_rep+=$(awk -v MAX="$__mz_MAX" -v BYTES="$__mz_O/bytes" '
    function skip(k, type) { return type == "d" || k ~ /(^|\/)\.git(\/|$)/ || k ~ /[\036\037]/ }
    FILENAME == ARGV[1] { i = index($0, "\t"); b[substr($0, i + 1)] = substr($0, 1, i - 1); next }
    { i = index($0, "\t"); k = substr($0, i + 1); m = substr($0, 1, i - 1); split(m, f, " "); bytes += f[4] * 512
      if (!(k in b)) { if (!skip(k, f[1]) && nc++ < MAX) print "C\t" k }
      else { if (b[k] != m && !skip(k, f[1]) && nm++ < MAX) print "M\t" k; delete b[k] } }
    END { for (k in b) if (!skip(k, substr(b[k], 1, 1)) && nd++ < MAX) print "D\t" k
          printf "W %.0f\n", bytes; printf "%.0f\n", bytes > BYTES }' "$__mz_O/listing" "$__mz_O/listing.new")$'\n'
  printf '%s' "$new" > "$__mz_O/listing"
  __mz_lpick "$new" "$fmt"
}
