#!/usr/bin/env bash
# Benchmark: a warm `npm run coverage` of the demo, split into its phases, over several rounds.
#   bash bench/coverage_phases.sh [rounds] [stack]      (results go in bench/RESULTS.md by hand, with date and machine)
# Each round runs what scripts/coverage.sh runs, timing each part: the compile and the setup checks (engine,
# toolchain, the stack's images), what is left of the compile after them (nothing now: the setup waits for it), then
# the `pulumi up` through the coverage-spy command (bin/cli/main.js) with its engine-event timings (engine start, each
# resource step) and the test run's own figures (suite, graceful stop). Prints one line per round and the medians.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
rounds="${1:-5}"
stack="${2:-bench-phases}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

bash scripts/setup.sh >/dev/null 2>&1
for (( round = 1; round <= rounds; round++ )); do
  # As scripts/coverage.sh: the build (when a source changed), then the setup checks for the stack's images; "setup"
  # is until both are done.
  t0=$(now_ms)
  if build_is_current; then true & else node node_modules/typescript/bin/tsc -p tsconfig.json & fi
  build=$!
  wait "$build"
  mapfile -t images < <(node bin/scripts/helpers/stackImages.js --stack "$stack" 2>/dev/null)
  bash scripts/setup.sh --images "${images[@]}" >/dev/null 2>&1
  # shellcheck source=scripts/pulumi-env.sh
  source scripts/pulumi-env.sh 2>/dev/null
  t1=$(now_ms)
  t2=$(now_ms)
  node bin/cli/main.js up --stack "$stack" --timings-file "$work/timings.json" --outputs-file "$work/outputs.json" \
    --print-summary >/dev/null 2>&1
  t3=$(now_ms)
  node bench/phases.js "$round" $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) "$work/timings.json" "$work/outputs.json" | tee -a "$work/rows"
done
node bench/phases.js --median "$work/rows"
node bin/cli/main.js destroy --stack "$stack" >/dev/null 2>&1
