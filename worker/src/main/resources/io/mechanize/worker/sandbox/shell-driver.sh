# The persistent shell session's driver (bash, LC_ALL=C), started as
#   bash -c 'eval "$MZ_DRIVER"' mz-session STATE_DIR   with MZ_DRIVER (observe.sh + this file) and
#   MZ_COMMAND (shell-command.sh) in the env.
# Request: a header line "ID TIMEOUT_S MODE STDIN_LEN LEN..." then, back to back, fields of
# exactly those byte lengths: working_dir, command, then env name/value pairs; then STDIN_LEN
# bytes that become the command's standard input (else it reads /dev/null).
# MODE is "-" or letters: m  measure the command (observe.sh) and report it in the reply
#                         b  take a new /workspace baseline first (files changed outside any action)
#                         r  raw: start from the session's first state, save nothing back
#                         h  a request for the resident helper (helper.py), not a command: the
#                            command field is the length of the helper's source, with which the
#                            input starts (0: none; the driver keeps the first it is sent); the
#                            request follows it. Implies r. A helper that must start while the
#                            driver has no source is answered with kind "nosource".
# Each command runs in a forked subshell that is its own process group (job control), started
# from the saved state (cwd and exported variables) and saving it back on exit, so cd and export
# carry over while a timeout can kill the command's whole process group without killing this
# driver. No exec per command: a fork costs a fraction of a millisecond, bash's start several.
# Reply: on stdout "\036ID RC TIMEDOUT KIND\n[report]\036\n", on stderr "\036ID\036\n".
__mz_S=$1
[ -d "$__mz_S" ] || mkdir -p -- "$__mz_S" || exit 70
printf '%s' "$MZ_COMMAND" > "$__mz_S/command.sh" || exit 70
# how long the resident helper may wait for a request before it exits (seconds; 0: never)
__mz_HIDLE=${MZ_HELPER_IDLE_S:-0}
[[ $__mz_HIDLE =~ ^[0-9]+$ ]] || __mz_HIDLE=0
unset MZ_DRIVER MZ_COMMAND MZ_HELPER_IDLE_S
echo $$ > "$__mz_S/driver.pid"
# the session state alternates between two files; "current" names the one last saved whole
__mz_cur=state.0
{ read -r __mz_cur < "$__mz_S/current"; } 2>/dev/null
if [ ! -f "$__mz_S/$__mz_cur" ]; then
  __mz_cur=state.0
  { export -p; printf 'cd -- /workspace\n'; } > "$__mz_S/$__mz_cur"
  printf '%s\n' "$__mz_cur" > "$__mz_S/current"
fi
[ -f "$__mz_S/state.init" ] || { export -p; printf 'cd -- /workspace\n'; } > "$__mz_S/state.init"
: > "$__mz_S/kind"
[ -p "$__mz_S/done" ] || mkfifo -- "$__mz_S/done" || exit 71
[ -p "$__mz_S/stdin" ] || mkfifo -- "$__mz_S/stdin" || exit 71
exec 3<>"$__mz_S/done"
# the driver's own stderr goes nowhere (job notices; and the reads of files that may be gone need
# no redirection of their own, which costs eight system calls); commands and markers use fd 4
exec 4>&2 2>/dev/null
# commands start from the saved state only: nothing of the driver's environment is exported
for __mz_v in $(compgen -e); do export -n "$__mz_v"; done
export LC_ALL=C
set -m
__mz_INFILE_MAX=1048576  # a command's input up to this size is put in a file, not streamed
# the resident lister starts now, while the container waits in the pool, not in the first action
__mz_lstart
# The resident helper: one python process per driver, started by the first helper request from
# the source that request brought (the driver keeps it, so a helper the agent killed is simply
# started again), and kept, so that a file action costs no interpreter start.
# It reads "INPUT SKIP SEQ" lines from its fifo, writes each reply to this driver's stdout (the
# worker's stream), then "SEQ CODE" to its status file and a newline to its other fifo, whose
# driver's end it makes non-blocking first (fd 8, as the lister does fd 6). Like the lister it is
# the agent's to kill or stop: every wait is bounded by the request's timeout.
__mz_HW= __mz_HGEN=0 __mz_HSEQ=0 __mz_HQ= __mz_HSRC= __mz_HREAD_MAX=4096
__mz_HBOOT='import sys; exec(open(sys.argv[1], "rb").read(int(sys.argv[2])))'
__mz_halive() {
  local st=
  { read -r _ _ st _ < "/proc/$__mz_HW/stat"; }
  [ -n "$st" ] && [ "$st" != Z ]
}
__mz_hstop() {
  kill -KILL -- "-$__mz_HW" 2>/dev/null
  wait "$__mz_HW" 2>/dev/null
  exec 7>&- 8>&-
  # its fifos, status and copy of the source go with it (a helper that exits when idle is started
  # again many times in a long session, and /tmp is memory)
  [ -n "$__mz_HQ" ] && rm -f -- "$__mz_HQ.in" "$__mz_HQ.out" "$__mz_HQ.src" "$__mz_HQ.status"
  __mz_HW= __mz_HQ=
}
# How long the wait for a command (or a helper request) sleeps between looks at it: 50 ms for its
# first half second, then 100 ms, 250 ms from 1.5 s and 500 ms from 4 s. Each look costs the
# container half a millisecond of CPU or more on a slow VM, so a 50 ms tick throughout kept a
# hundredth of a core busy per running command (a core for 100 workspaces running tests); a
# command's end still wakes the wait at once through its fifo. What waits longer is only what the
# fifo cannot announce: a command killed before its EXIT trap ran (or that replaced itself by
# exec) is seen up to a tick late; and the memory and pids peaks are sampled once a tick where the
# cgroup keeps no peak of its own. A deadline is never overslept by more than 50 ms.
__mz_slower() {
  local left
  case $((++__mz_ticks)) in 10) __mz_tick=0.1 ;; 20) __mz_tick=0.25 ;; 30) __mz_tick=0.5 ;; esac
  left=$(( __mz_deadline - ${EPOCHREALTIME/./} ))
  if ((left < 550000)); then
    __mz_tick=0.05
    ((__mz_ticks = __mz_ticks < 30 ? __mz_ticks : 29))
  fi
  return 0
}
__mz_hstart() { # starts a helper from the kept source: sets __mz_HW and __mz_HQ, or __mz_rc and __mz_kind
  local q
  # a helper to start and no source kept (none came to this driver whole): the worker sends it again
  [ -n "$__mz_HSRC" ] || { __mz_rc=126 __mz_kind=nosource; return 1; }
  # fifos of their own for each helper, so that nothing a dead one left behind is read
  q=$__mz_O/helper.$$.$((++__mz_HGEN))
  mkfifo -m 600 -- "$q.in" "$q.out" && exec 7<> "$q.in" 8<> "$q.out" || { __mz_rc=126; return 1; }
  __mz_HQ=$q
  printf '%s' "$__mz_HSRC" > "$q.src" || { __mz_rc=126; return 1; }
  # the environment and directory of the session's first state, as a raw command has them
  ( . "$__mz_S/state.init" 2>/dev/null
    exec python3 -I -S -c "$__mz_HBOOT" "$q.src" "${#__mz_HSRC}" "$q.in" "$q.out" "$q.status" "$__mz_HIDLE" ) \
    < /dev/null 2>&4 3>&- 4>&- 5>&- 6>&- 7>&- &
  __mz_HW=$!
}
__mz_hask() { # $1 input file: sets __mz_rc, __mz_timedout and __mz_kind
  local seq line again=1
  __mz_kind=ok __mz_timedout=0 __mz_tick=0.05 __mz_ticks=0
  if [ -n "$__mz_HW" ] && ! __mz_halive; then __mz_hstop; fi
  if [ -z "$__mz_HW" ]; then __mz_hstart || return; fi
  printf '%s 0 %s\n' "$1" "$((++__mz_HSEQ))" >&7
  while :; do
    # the exit code is in the status file, with the request's number; the fifo only wakes this
    # process (bash can lose a byte of a fifo read that times out, and then a newline lost would
    # leave it waiting for a line that never ends)
    read -r -t $__mz_tick _ <&8
    if { read -r seq line < "$__mz_HQ.status"; } && [ "$seq" = "$__mz_HSEQ" ]; then
      __mz_rc=$line
      return
    fi
    [[ $__mz_mode == *m* ]] && __mz_sample
    if ! __mz_halive; then
      wait "$__mz_HW" 2>/dev/null
      __mz_rc=$?
      __mz_hstop
      # it left idle just as this request came, and read none of it: a new helper gets it, once
      if ((__mz_rc == 75 && again)); then
        again=0
        __mz_hstart || return
        printf '%s 0 %s\n' "$1" "$__mz_HSEQ" >&7
        continue
      fi
      return
    fi
    if (( ${EPOCHREALTIME/./} >= __mz_deadline )); then
      __mz_hstop
      __mz_timedout=1 __mz_rc=137 __mz_kind=killed
      return
    fi
    __mz_slower
  done
}
# the kind ("ok", "escape", ...) and exit code the current command wrote on exit; none if it was
# killed (or replaced itself by exec)
__mz_kindof() {
  local id kind rc
  { IFS=' ' read -r id kind rc < "$__mz_S/kind"; } && [ "$id" = "$__mz_id" ] || return 1
  __mz_kind=$kind __mz_krc=$rc
}
# a command that wrote its exit code is waited for after the reply, not before: it may still be
# exiting (a third of a millisecond). The next request waits for it once it has exited (a command
# that wrote a false exit code and goes on is left to bash, which reaps every child that ends).
__mz_reap=
__mz_reaped() {
  local st=
  [ -n "$__mz_reap" ] || return 0
  { read -r _ _ st _ < "/proc/$__mz_reap/stat"; }
  [ -n "$st" ] && [ "$st" != Z ] && return 0
  wait "$__mz_reap" 2>/dev/null
  __mz_reap=
}
while IFS=' ' read -r -a __mz_hdr; do
  ((${#__mz_hdr[@]} >= 6)) || continue
  __mz_id=${__mz_hdr[0]} __mz_tmo=${__mz_hdr[1]} __mz_mode=${__mz_hdr[2]} __mz_inlen=${__mz_hdr[3]} __mz_fields=()
  for __mz_len in "${__mz_hdr[@]:4}"; do
    __mz_f=
    if ((__mz_len > 0)); then IFS= read -r -N "$__mz_len" __mz_f; fi
    __mz_fields+=("$__mz_f")
  done
  __mz_reaped
  [[ $__mz_mode == *b* ]] && __mz_baseline
  [[ $__mz_mode == *m* ]] && __mz_begin
  __mz_state=$__mz_cur __mz_next=state.1
  [ "$__mz_cur" = state.1 ] && __mz_next=state.0
  [[ $__mz_mode == *[rh]* ]] && __mz_state=state.init __mz_next=
  __mz_inpid= __mz_in=/dev/null
  if [[ $__mz_mode == *h* ]]; then
    # the helper's source comes with the first helper request a driver gets, and the driver
    # keeps it (where the agent cannot change it) for every helper it starts
    # (through a pipe, not a file: a full /tmp must not leave bytes of it unread in the input)
    __mz_srclen=${__mz_fields[1]}
    if ((__mz_srclen > 0)); then
      __mz_HSRC=$(head -c "$__mz_srclen"; printf x)
      __mz_HSRC=${__mz_HSRC%x}
      ((${#__mz_HSRC} == __mz_srclen)) || __mz_HSRC=
    fi
    # the helper reads its request from a file, whatever its size; a small one is read here (a
    # byte per read(2), but no process to start), a large one by head, every byte of it even when
    # the file cannot take them all, so that the next request's header is where it should be
    __mz_in=$__mz_S/stdin.data __mz_len=$((__mz_inlen - __mz_srclen))
    if ((__mz_len <= __mz_HREAD_MAX)); then
      __mz_f=
      ((__mz_len > 0)) && IFS= read -r -N "$__mz_len" __mz_f
      printf '%s' "$__mz_f" > "$__mz_in"
    else
      head -c "$__mz_len" | { cat > "$__mz_in"; cat > /dev/null; }
    fi
    __mz_deadline=$(( ${EPOCHREALTIME/./} + __mz_tmo * 1000000 ))
    __mz_hask "$__mz_in"
  elif ((__mz_inlen > 0 && __mz_inlen <= __mz_INFILE_MAX)); then
    # a small input (a snapshot, say) goes to a file first: one head, no feeder, no fifo
    __mz_in=$__mz_S/stdin.data
    head -c "$__mz_inlen" > "$__mz_in"
  elif ((__mz_inlen > 0)); then
    # a large one streams: exactly STDIN_LEN bytes of the driver's input, all of them read even
    # when the command stops reading early, so that the next request's header is where it should be
    __mz_in=$__mz_S/stdin
    { head -c "$__mz_inlen" | { cat; cat > /dev/null; }; } > "$__mz_in" &
    __mz_inpid=$!
  fi
  if [[ $__mz_mode != *h* ]]; then
    (
      exec 0< "$__mz_in"
      exec 2>&4 3>&- 4>&- 5>&- 6>&- 7>&- 8>&-
      set +m
      set -- "$__mz_S" "$__mz_id" "$__mz_state" "$__mz_next" "${__mz_fields[@]}"
      . "$__mz_S/command.sh"
    ) &
    __mz_pid=$!
    __mz_deadline=$(( ${EPOCHREALTIME/./} + __mz_tmo * 1000000 ))
    __mz_timedout=0 __mz_kind=killed __mz_rc= __mz_early= __mz_tick=0.05 __mz_ticks=0
    while :; do
      # a line in the done fifo only wakes the driver; whether the command saved its state is in
      # the kind file, written whole before that line (a read timed out mid-line loses its bytes)
      if read -r -t $__mz_tick _ <&3 && __mz_kindof; then
        [[ $__mz_krc && $__mz_krc != *[!0-9]* ]] && __mz_rc=$__mz_krc __mz_early=1
        break
      fi
      [[ $__mz_mode == *m* ]] && __mz_sample
      __mz_st=
      { read -r _ _ __mz_st _ < "/proc/$__mz_pid/stat"; }
      [ -z "$__mz_st" ] || [ "$__mz_st" = Z ] && break
      if (( ${EPOCHREALTIME/./} >= __mz_deadline )); then
        kill -KILL -- "-$__mz_pid" 2>/dev/null
        __mz_timedout=1
        break
      fi
      __mz_slower
    done
    if [ -n "$__mz_early" ]; then
      __mz_reap=$__mz_pid
    else
      wait "$__mz_pid" 2>/dev/null
      __mz_rc=$?
      # the command has exited: its kind file is complete, or it never got to write it (killed)
      __mz_kindof
    fi
  fi
  [ -n "$__mz_inpid" ] && wait "$__mz_inpid" 2>/dev/null
  [ "$__mz_in" = "$__mz_S/stdin.data" ] && : > "$__mz_in"
  if [ "$__mz_kind" = ok ] && [ -n "$__mz_next" ]; then
    __mz_cur=$__mz_next
    printf '%s\n' "$__mz_cur" > "$__mz_S/current"
  fi
  __mz_rep=
  [[ $__mz_mode == *m* ]] && __mz_end
  # one write: each write is a frame of its own through the engine and another wake-up in the worker
  printf '\036%s %s %s %s\n%s\036\n' "$__mz_id" "$__mz_rc" "$__mz_timedout" "$__mz_kind" "$__mz_rep"
  printf '\036%s\036\n' "$__mz_id" >&4
done
