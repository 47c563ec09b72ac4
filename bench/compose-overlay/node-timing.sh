#!/bin/sh
# cycle.sh's stand-in for `node` (run by a `node` first on PATH) while it runs `bash scripts/coverage.sh up`:
# notes in $BENCH_CYCLE_WORK/marks when the build (tsc) and the driver (run-stack.js) start and end, and gives the
# driver the --timings-file and --outputs-file the phases are read from. Every other node runs as it is.
case "$1" in
  node_modules/typescript/bin/tsc | bin/cli/main.js)
    name=${1##*/}
    # The command's marks keep the name of the driver it replaced (cycle.js reads "run-stack.js start" and end).
    [ "$name" = main.js ] && name=run-stack.js
    echo "$name start $(date +%s%3N)" >>"$BENCH_CYCLE_WORK/marks"
    if [ "$name" = run-stack.js ]; then
      set -- "$@" --timings-file "$BENCH_CYCLE_WORK/timings.json" --outputs-file "$BENCH_CYCLE_WORK/outputs.json"
    fi
    rc=0
    "$BENCH_CYCLE_NODE" "$@" || rc=$?
    echo "$name end $(date +%s%3N)" >>"$BENCH_CYCLE_WORK/marks"
    exit "$rc"
    ;;
  *) exec "$BENCH_CYCLE_NODE" "$@" ;;
esac
