# The final diff, taken by GNU diff at the start of the evaluation's exec (FinalDiff.java), and
# then, when arguments remain, the first COMMAND criterion in the exec's place, so that one exec
# takes both and the criterion's exit code comes from the engine.
#   bash -c "$SCRIPT" mz-final-diff PRISTINE CAP BUDGET_S END [COMMAND ARGV...]
# Prints "\036mz-diff STATUS\n", the diff (at most CAP bytes), "\036mz-diff-extra\n", the symlinks
# and empty files of both trees ("ROOT\tTYPE\tNAME\tTARGET" lines, which diff -N cannot show: an
# empty file added or removed, a symlink's target), then "\036mz-diff-end END\n".
# STATUS is diff's exit code (0 the same, 1 changed, 2 trouble, 124 out of its BUDGET_S seconds,
# 141 cut at CAP), with " truncated" when the diff was longer than CAP, or "missing" when there is
# no pristine copy. Without GNU diff in the image it prints nothing, runs nothing and exits 86.
__mz_final_diff() {
  local LC_ALL=C out status extra
  if [ ! -d "$1" ]; then
    printf '\036mz-diff missing\n\036mz-diff-end %s\n' "$4"
    return 0
  fi
  # UTC: a file on one side only shows the epoch as its time, which the worker looks for
  out=$(TZ=UTC0 timeout "$3" diff -ruN --no-dereference -x .git -x __pycache__ -x .pytest_cache -- "$1" /workspace 2>&1 \
    | head -c "$(($2 + 1))"; printf '\037%s' "${PIPESTATUS[0]}")
  status=${out##*$'\037'} out=${out%$'\037'*}
  case $status in
  127) return 86 ;;
  2) case ${out%%$'\n'*} in *"unrecognized option"*|*"invalid option"*|*"unknown option"*) return 86 ;; esac ;;
  esac
  if ((${#out} > $2)); then out=${out:0:$2} status+=" truncated"; fi
  # one process: bash execs find itself in the substitution (a pipe into head would cost two more)
  extra=$(find "$1" /workspace -xdev \( -name .git -o -name __pycache__ -o -name .pytest_cache \) -prune \
    -o \( -type l -o -type f -empty \) -printf '%H\t%y\t%P\t%l\n' 2>/dev/null)
  extra=${extra:0:65536}
  printf '\036mz-diff %s\n%s\036mz-diff-extra\n%s\n\036mz-diff-end %s\n' "$status" "$out" "$extra" "$4"
}
__mz_final_diff "$1" "$2" "$3" "$4" || exit 86
unset -f __mz_final_diff
shift 4
(($# == 0)) || exec "$@"
