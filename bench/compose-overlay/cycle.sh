#!/usr/bin/env bash
# Benchmark: the warm coverage cycle of coverage-spy against the docker-compose overlay pattern, on the
# same demo (coverage-spy/demo-app:latest, 3 workers) and the same suite (examples/demo/tests), interleaved
# A B A B ..., each side end to end; prints a Markdown section (medians and ranges) for bench/RESULTS.md.
#   bash bench/compose-overlay/cycle.sh [rounds]      default 5, after one unmeasured warm-up of each side
# A: `bash scripts/coverage.sh up --stack bench-cycle` (the stack's config is run-stack's copy of
#    stacks/Pulumi.dev.yaml, git-ignored); its phases from run-stack's --timings-file and --outputs-file (given by
#    node-timing.sh, a stand-in for node on PATH that also notes when tsc and run-stack run) and the times of its
#    output lines, split by bench/phases.js as bench/coverage_phases.sh splits them.
# B: `bash bench/compose-overlay/ritual.sh` (Debian's docker-compose; the phases it times itself).
# Each round: total (wall time of the command), suite, overhead = total - suite; the ratio of the overheads.
# At the end, and on any failure: the stack destroyed (`bash scripts/coverage.sh destroy --stack bench-cycle`) and
# its reports/bench-cycle/ removed, the compose project removed (`ritual.sh clean`: containers, network, volume,
# reports/bench-overlay/).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$REPO_ROOT"
here=bench/compose-overlay
rounds="${1:-5}"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "usage: bench/compose-overlay/cycle.sh [rounds]"
stack=bench-cycle
work="$(mktemp -d)"

cleanup() {
  local rc=$?
  log "cleaning up: stack $stack, compose project bench-overlay"
  bash scripts/coverage.sh destroy --stack "$stack" >"$work/destroy.log" 2>&1 || {
    tail -n 20 "$work/destroy.log" >&2
    log "destroying stack $stack failed (above)"
  }
  bash "$here/ritual.sh" clean >"$work/clean.log" 2>&1 || {
    cat "$work/clean.log" >&2
    log "removing the compose project failed (above)"
  }
  rm -rf "$work" "reports/$stack"
  exit "$rc"
}
trap cleanup EXIT

# NOW: milliseconds since the epoch, without starting a process.
clock() {
  local t=${EPOCHREALTIME//[.,]/}
  NOW=$((t / 1000))
}

# Each line of stdin with the microseconds since the epoch it was read at.
stamp() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do printf '%s %s\n' "${EPOCHREALTIME//[.,]/}" "$line"; done
}

# node-timing.sh stands in for node during A; it needs the real one.
mkdir -p "$work/shim"
printf '#!/bin/sh\nexec /bin/sh %q "$@"\n' "$REPO_ROOT/$here/node-timing.sh" >"$work/shim/node"
chmod +x "$work/shim/node"
export BENCH_CYCLE_NODE BENCH_CYCLE_WORK="$work"
BENCH_CYCLE_NODE="$(command -v node)"

# side_a ROUND: one coverage-spy cycle; appends its row to rows-a (ROUND 0: the warm-up, not kept).
side_a() {
  rm -f "$work/marks" "$work/timings.json" "$work/outputs.json"
  clock
  local t0=$NOW rc=0
  # As from a user's shell.
  PATH="$work/shim:$PATH" bash scripts/coverage.sh up --stack "$stack" 2>&1 |
    stamp >"$work/a.log" || rc=$?
  clock
  [[ $rc == 0 ]] || { tail -n 30 "$work/a.log" >&2; die "A (coverage.sh up) failed in round $1"; }
  node "$here/cycle.js" a "$1" "$t0" "$NOW" "$work/marks" "$work/a.log" "$work/timings.json" "$work/outputs.json" \
    >"$work/row"
  [[ $1 == 0 ]] || cat "$work/row" >>"$work/rows-a"
}

# side_b ROUND: one overlay ritual; appends its row to rows-b.
side_b() {
  clock
  local t0=$NOW rc=0
  bash "$here/ritual.sh" --timings-file "$work/b.json" >"$work/b.log" 2>&1 || rc=$?
  clock
  [[ $rc == 0 ]] || { tail -n 30 "$work/b.log" >&2; die "B (ritual.sh) failed in round $1"; }
  node "$here/cycle.js" b "$1" "$t0" "$NOW" "$work/b.json" >"$work/row"
  [[ $1 == 0 ]] || cat "$work/row" >>"$work/rows-b"
}

started=$SECONDS
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "warm-up: one unmeasured cycle of each side"
side_a 0
side_b 0
for ((round = 1; round <= rounds; round++)); do
  side_a "$round"
  side_b "$round"
  log "round $round of $rounds: $(node "$here/cycle.js" line "$work/rows-a" "$work/rows-b" "$round")"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

ram_gib=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 / 1024))
cat <<EOF

### The warm coverage cycle against the docker-compose overlay pattern (\`bash bench/compose-overlay/cycle.sh $rounds\`)
$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $ram_gib GiB; Docker $(docker version -f '{{.Server.Version}}'), \
docker-compose $(docker-compose version --short); load average $load_before before, $load_after after;
rounds: $rounds, interleaved (A then B), after one unmeasured warm-up of each; $(((SECONDS - started) / 60)) min \
$(((SECONDS - started) % 60)) s in all.
- A, coverage-spy: \`bash scripts/coverage.sh up --stack bench-cycle\` (a warm stack: every run replaces the
  service, test-run and harvester resources; the prepare container runs once per volume)
- B, the overlay pattern: \`bash bench/compose-overlay/ritual.sh\` (docker-compose down, up -d with
  docker-compose.coverage.yml, /healthz polled every 0.2 s, the suite, stop (10 s grace), \`run --rm harvester\`,
  the text report printed)

EOF
node "$here/cycle.js" report "$work/rows-a" "$work/rows-b"
