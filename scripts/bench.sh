#!/usr/bin/env bash
# `npm run bench [rounds]`: every benchmark of bench/, each side by side and interleaved where it compares, on the
# real Docker engine; the Markdown sections they print go in bench/RESULTS.md with the date and machine.
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
node node_modules/typescript/bin/tsc -p tsconfig.json
# At thousands of requests per second the load generator's closed connections fill the host's local ports (TIME_WAIT)
# unless they may be reused, and the rate then falls tenfold on either side (bench/RESULTS.md, "Serving overhead").
[ "$(sysctl -n net.ipv4.tcp_tw_reuse 2>/dev/null)" = 1 ] \
  || log "warning: net.ipv4.tcp_tw_reuse is not 1: serving figures may be bimodal (sudo sysctl -w net.ipv4.tcp_tw_reuse=1)"
SERVING_CONNECTION=keep-alive step "serving overhead" node bin/bench/serving/serving.js "$rounds" 5
step "coverage cycle against the compose overlay" bash bench/compose-overlay/cycle.sh "$rounds"
step "our cycle by phase" bash bench/coverage_phases.sh "$rounds"
step "scale" node bin/bench/scale/scale.js "$rounds"
step "ritual per demo image" node bin/bench/ritual.js "$rounds"
step "periodic saves in a busy process" python3 bench/save_cost.py "$rounds"
step "per-test contexts" node bin/bench/contexts/contexts.js "$rounds" 200
step "per-test contexts at scale" node bin/bench/contexts/djangoScale.js "$rounds" 2000
step "remote engine" node bin/bench/remote/remoteEngine.js "$rounds"
step "the packed package in a fresh project" node bin/bench/package/freshProject.js "$rounds"
step "memory of the measured processes" node bin/bench/memory/memory.js "$rounds"
step "watch cycle against the compose overlay" node bin/bench/watch/watchCycle.js "$rounds"
step "cold first run of the demo" bash bench/cold_start.sh --beside coverage
