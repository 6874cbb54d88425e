# The persistent shell session's driver (bash, LC_ALL=C), started as
#   bash -c 'eval "$MZ_DRIVER"' mz-session STATE_DIR   with MZ_DRIVER and MZ_COMMAND (shell-command.sh) in the env.
# Request: a header line "ID TIMEOUT_S LEN..." then, back to back, fields of exactly those byte
# lengths: working_dir, command, then env name/value pairs. Each command runs in a fresh
# bash in its own session and process group (setsid), started from the saved state (cwd and
# exported variables) and saving it back on exit, so cd and export carry over while a
# timeout can kill the command's whole process group without killing this driver.
# Reply: on stdout "\036ID RC TIMEDOUT KIND\036\n", on stderr "\036ID\036\n".
S=$1
mkdir -p -- "$S" || exit 70
printf '%s' "$MZ_COMMAND" > "$S/command.sh" || exit 70
unset MZ_DRIVER MZ_COMMAND
echo $$ > "$S/driver.pid"
if [ ! -f "$S/state" ]; then
  { export -p; printf 'cd -- /workspace\n'; } > "$S/state"
fi
[ -p "$S/done" ] || mkfifo -- "$S/done" || exit 71
exec 3<>"$S/done"
export LC_ALL=C
while IFS=' ' read -r -a hdr; do
  ((${#hdr[@]} >= 4)) || continue
  id=${hdr[0]} tmo=${hdr[1]} fields=()
  for len in "${hdr[@]:2}"; do
    f=
    if ((len > 0)); then IFS= read -r -N "$len" f; fi
    fields+=("$f")
  done
  setsid env -i bash --noprofile --norc "$S/command.sh" "$S" "$id" "${fields[@]}" </dev/null &
  pid=$!
  deadline=$(( ${EPOCHREALTIME/./} + tmo * 1000000 ))
  timedout=0 kind=killed
  while :; do
    if IFS=' ' read -r -t 0.05 did dkind <&3 && [ "$did" = "$id" ]; then kind=$dkind; break; fi
    st=
    { read -r _ _ st _ < "/proc/$pid/stat"; } 2>/dev/null
    if [ -z "$st" ] || [ "$st" = Z ]; then
      IFS=' ' read -r -t 0.2 did dkind <&3 && [ "$did" = "$id" ] && kind=$dkind
      break
    fi
    if (( ${EPOCHREALTIME/./} >= deadline )); then
      kill -KILL -- "-$pid" 2>/dev/null
      timedout=1
      break
    fi
  done
  wait "$pid" 2>/dev/null
  rc=$?
  printf '\036%s %s %s %s\036\n' "$id" "$rc" "$timedout" "$kind"
  printf '\036%s\036\n' "$id" >&2
done
