# One command of a shell session, sourced in the driver's forked subshell (its own process group):
# $1 state dir, $2 request id, $3 state file to start from, $4 state file to save to (empty: save
# nothing), $5 working_dir (empty: the session's; relative to /workspace), $6 the agent's command,
# then env name/value pairs.
# nothing of the driver reaches the command: its variables (one unset for all of them), functions
# and locale
unset "${!__mz_@}"
__mz_S=$1 __mz_id=$2 __mz_from=$3 __mz_to=$4 __mz_dir=$5 __mz_cmd=$6
shift 6
unset -f __mz_val __mz_cpu __mz_begin __mz_sample __mz_list __mz_baseline __mz_end __mz_kindof \
  __mz_lstart __mz_lalive __mz_lreply __mz_lstop __mz_plist __mz_listto __mz_lpick __mz_report \
  __mz_halive __mz_hstart __mz_hstop __mz_hask __mz_reaped __mz_slower
unset LC_ALL
__mz_kind=ok
__mz_old=() __mz_given=() __mz_names=() __mz_had=()
__mz_save() {
  local i n
  for i in "${!__mz_names[@]}"; do
    n=${__mz_names[i]}
    if [ "${!n-}" = "${__mz_given[i]}" ]; then
      if [ "${__mz_had[i]}" = 1 ]; then export "$n=${__mz_old[i]}"; else unset "$n"; fi
    fi
  done
  [ "$__mz_kind" = ok ] && [ -n "$__mz_to" ] || return 0
  # a command that outlived its driver ($$ here) must not overwrite the state of the driver that
  # replaced it, which may already be saving to the same file
  local driver=
  { read -r driver < "$__mz_S/driver.pid"; } 2>/dev/null
  [ "$driver" = "$$" ] || { __mz_kind=orphaned; return 0; }
  local here=$PWD
  [ -n "$__mz_dir" ] && [ "$PWD" = "$__mz_start" ] && here=$__mz_prev
  { export -p; printf 'cd -- %q 2>/dev/null || cd -- /workspace\n' "$here"; } > "$__mz_S/$__mz_to" 2>/dev/null \
    || __mz_kind=unsaved
}
# the exit code goes with the kind when the command returned (not by exit, a signal or set -e), so
# that the driver can answer before this process has finished exiting (its wait took a third of a
# millisecond per action); otherwise the driver waits for it
trap '__mz_save; printf "%s %s %s\n" "$__mz_id" "$__mz_kind" "$__mz_rc" > "$__mz_S/kind"; printf "%s\n" "$__mz_id" > "$__mz_S/done"' EXIT
. "$__mz_S/$__mz_from" 2>/dev/null
__mz_prev=$PWD
if [ -n "$__mz_dir" ]; then
  case "$__mz_dir" in /*) __mz_p=$__mz_dir ;; *) __mz_p=/workspace/$__mz_dir ;; esac
  __mz_r=$(realpath -m -- "$__mz_p")
  case "$__mz_r" in
    /workspace|/workspace/*) ;;
    *) echo "working_dir '$__mz_dir' resolves to '$__mz_r', outside /workspace" >&2; __mz_kind=escape; exit 97 ;;
  esac
  cd -- "$__mz_r" 2>/dev/null || { echo "working directory '$__mz_dir' does not exist or is not a directory" >&2; __mz_kind=nodir; exit 3; }
  __mz_start=$PWD
fi
while (($# >= 2)); do
  __mz_names+=("$1") __mz_given+=("$2")
  if [ -n "${!1+x}" ]; then __mz_had+=(1) __mz_old+=("${!1}"); else __mz_had+=(0) __mz_old+=(""); fi
  export "$1=$2"
  shift 2
done
unset __mz_p __mz_r
eval "$__mz_cmd"
__mz_rc=$?
# and the subshell ends with it: a driver that finds this process gone before it reads the kind
# file takes the code from its wait (this file is sourced, so return sets the subshell's status)
return "$__mz_rc"
