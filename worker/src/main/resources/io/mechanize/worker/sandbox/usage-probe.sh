# The usage probe, for actions that do not run in a shell session (file edits, git, tests): one
# per container, started as  bash -c 'eval "$MZ_PROBE"' mz-probe MAX_PATHS  with MZ_PROBE =
# observe.sh + this file.
# "begin ID [fresh]": (fresh: takes a new /workspace baseline first) reads the start counters and
# replies "\036ID\036\n", then samples memory and pids every 50 ms until "end ID": replies with
# __mz_end's report and "\036ID\036\n".
unset MZ_PROBE
export LC_ALL=C
while IFS=' ' read -r verb id fresh; do
  case "$verb" in
  begin)
    [ "$fresh" = fresh ] && __mz_baseline
    __mz_begin
    printf '\036%s\036\n' "$id"
    # a read that times out keeps what it read of the line: the rest comes with the next read
    line=
    until IFS= read -r -t 0.05 part; do line+=$part; __mz_sample; done
    IFS=' ' read -r verb id fresh <<< "$line$part"
    __mz_rep=
    __mz_end
    printf '%s\036%s\036\n' "$__mz_rep" "$id"
    ;;
  esac
done
