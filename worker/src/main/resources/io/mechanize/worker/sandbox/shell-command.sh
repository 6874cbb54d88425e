# One command of a shell session, in its own process group: $1 state dir, $2 request id,
# $3 working_dir (empty: the session's; relative to /workspace), $4 the agent's command, then env name/value pairs.
__mz_S=$1 __mz_id=$2 __mz_dir=$3 __mz_cmd=$4
shift 4
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
  [ "$__mz_kind" = ok ] || return 0
  local here=$PWD
  [ -n "$__mz_dir" ] && [ "$PWD" = "$__mz_start" ] && here=$__mz_prev
  { export -p; printf 'cd -- %q 2>/dev/null || cd -- /workspace\n' "$here"; } > "$__mz_S/state.new" 2>/dev/null \
    && mv -f -- "$__mz_S/state.new" "$__mz_S/state" 2>/dev/null
}
trap '__mz_save; printf "%s %s\n" "$__mz_id" "$__mz_kind" > "$__mz_S/done"' EXIT
. "$__mz_S/state" 2>/dev/null
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
