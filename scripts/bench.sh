#!/usr/bin/env bash
# `npm run bench [rounds]`: every benchmark of bench/, each side by side and interleaved where it compares, on the
# real Docker engine. What each prints (its Markdown tables, the cold run's phase log) goes into bench/RESULTS.md as
# a new section at its top, headed with the date and the machine, also when a step fails (the section says which).
#   1. serving overhead: the same images measured and unmeasured under wrk (bench/serving)
#   2. the warm coverage cycle against the docker-compose overlay ritual (bench/compose-overlay), and our own
#      cycle by phase (bench/coverage_phases.sh)
#   3. scale: harvest against data files, 16 workers, 8 services in a stack (bench/scale)
#   4. the ritual per demo image (bench/ritual.ts) and what periodic saves cost a busy process (bench/save_cost.py)
#   5. per-test contexts: a 200-test suite with the option off and on, and the boundaries (bench/contexts); at
#      scale, 2000 tests against the Django example: suite, boundaries, harvest, data file and HTML report
#   6. the demo on the local engine and on a second engine that cannot see this machine's folders (bench/remote)
#   7. the packed package in a fresh Pulumi project against this checkout's program (bench/package)
#   8. the memory of the measured processes against the unmeasured ones, warm after the suite (bench/memory)
#   9. a `coverage-spy watch` cycle against the overlay ritual's cycle (bench/watch)
#  10. the demo's cold first `npm run coverage` per phase, on a second engine with empty caches beside this machine's
#      (bench/cold_start.sh --beside: nothing of this machine's engine or caches is touched)
# Each load is bounded (rounds, seconds per pass).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
rounds="${1:-3}"
bash scripts/setup.sh
# shellcheck source=scripts/pulumi-env.sh
source scripts/pulumi-env.sh
# The Python benchmarks run coverage.py from the spy lib, as the tests do (the compiled ones find it themselves).
COVERAGE_SPY_LIB="$(prepare_spy_lib)"
export COVERAGE_SPY_LIB
node node_modules/typescript/bin/tsc -p tsconfig.json
# At thousands of requests per second the load generator's closed connections fill the host's local ports (TIME_WAIT)
# unless they may be reused, and the rate then falls tenfold on either side (bench/RESULTS.md, "Serving overhead").
[ "$(sysctl -n net.ipv4.tcp_tw_reuse 2>/dev/null)" = 1 ] \
  || log "warning: net.ipv4.tcp_tw_reuse is not 1: serving figures may be bimodal (sudo sysctl -w net.ipv4.tcp_tw_reuse=1)"
# This run's section: its head now, each step's output as it comes, put at the top of bench/RESULTS.md at the end.
section=$(mktemp)
ended="stopped before its end"
put_in_results() {
  local results=bench/RESULTS.md merged
  printf '%s.\n\n' "The run ${ended}" >>"$section"
  merged=$(mktemp)
  { head -n 1 "$results"; echo; cat "$section"; tail -n +2 "$results"; } >"$merged"
  mv "$merged" "$results"
  rm -f "$section"
  log "this run's figures are at the top of $results"
}
trap put_in_results EXIT
# The backquotes are Markdown's, not the shell's.
# shellcheck disable=SC2016
{
  printf '## `npm run bench %s`, %s\n' "$rounds" "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Machine: %s cores (`nproc`), %s GiB, %s, Docker %s; load average at the start %s; git %s.\n\n' \
    "$(nproc)" "$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(uname -sr)" \
    "$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} >"$section"
# bench LABEL COMMAND...: one benchmark, its output on the terminal and in this run's section.
bench() {
  local label="$1" out status=0
  shift
  ended="stopped at \"$label\""
  printf '### %s\n' "$label" >>"$section"
  out=$(mktemp)
  step "$label" "$@" | tee "$out" || status=$?
  # The step's own Markdown headings go two levels down, under its ### one.
  sed -E 's/^(#{1,4}) /\1## /' "$out" >>"$section"
  rm -f "$out"
  echo >>"$section"
  return "$status"
}
bench "serving overhead" env SERVING_CONNECTION=keep-alive node bin/bench/serving/serving.js "$rounds" 5
bench "coverage cycle against the compose overlay" bash bench/compose-overlay/cycle.sh "$rounds"
bench "our cycle by phase" bash bench/coverage_phases.sh "$rounds"
bench "scale" node bin/bench/scale/scale.js "$rounds"
bench "ritual per demo image" node bin/bench/ritual.js "$rounds"
bench "periodic saves in a busy process" python3 bench/save_cost.py "$rounds"
bench "per-test contexts" node bin/bench/contexts/contexts.js "$rounds" 200
bench "per-test contexts at scale" node bin/bench/contexts/djangoScale.js "$rounds" 2000
bench "remote engine" node bin/bench/remote/remoteEngine.js "$rounds"
bench "the packed package in a fresh project" node bin/bench/package/freshProject.js "$rounds"
bench "memory of the measured processes" node bin/bench/memory/memory.js "$rounds"
bench "watch cycle against the compose overlay" node bin/bench/watch/watchCycle.js "$rounds"
bench "cold first run of the demo" bash bench/cold_start.sh --beside coverage
ended="ended with every step"
