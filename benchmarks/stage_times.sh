#!/bin/bash
# Wall and CPU seconds of every stage of a DVC run, one line per stage, then the stages by CPU time.
# CPU seconds (user + sys) hold up beside other jobs on a shared machine; wall seconds do not.
#   bash benchmarks/stage_times.sh /tmp/times.txt dvc exp run -S profile=demo
# DVC runs each stage command as `$SHELL --noprofile --norc -c CMD` with DVC_STAGE set: this script
# is that SHELL, and wraps the command in GNU time.
if [ -n "$DVC_STAGE" ] && [ -n "$STAGE_TIMES" ]; then
  exec /usr/bin/time -a -o "$STAGE_TIMES" -f "%e %U %S $DVC_STAGE" /bin/bash "$@"
fi
[ $# -ge 2 ] || { echo "usage: bash benchmarks/stage_times.sh TIMES_FILE COMMAND..." >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "stage_times: needs GNU time at /usr/bin/time" >&2; exit 2; }
export STAGE_TIMES=$(realpath "$1") SHELL=$(realpath "$0")
shift
rm -f "$STAGE_TIMES"
start=$(date +%s)
"$@"
rc=$?
awk -v total=$(( $(date +%s) - start )) '
  BEGIN { by_cpu = "sort -k2 -rn"; printf "%8s %8s  %s\n", "wall s", "CPU s", "stage" }
  { wall += $1; cpu += $2 + $3; printf "%8.1f %8.1f  %s\n", $1, $2 + $3, $4 | by_cpu }
  END { close(by_cpu); printf "%d stages: %.0f s wall in stages, %.0f CPU-s; %d s wall in all\n", NR, wall, cpu, total }
' "$STAGE_TIMES"
exit $rc
