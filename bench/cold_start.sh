#!/usr/bin/env bash
# Cold start (bench/RESULTS.md, "Cold start"): runs a command in a fresh clone of this repository on an engine with no
# image and an empty coverage-spy cache, with a timestamp on every line it prints.
#   bash bench/cold_start.sh --move-aside coverage|ci
#     coverage: `bash scripts/coverage.sh up` (npm run coverage, the demo); ci: `bash .ci/run`
# It stops dockerd and MOVES ASIDE (never deletes) Docker's data root, $COVERAGE_SPY_CACHE and pip's cache, to
# <path>.cold-<time> (a mount point's entries to <path>/.cold-<time>): put them back by stopping dockerd and moving
# them over the new ones. Without --move-aside it only
# says what it would move. Not part of `npm run bench`: it empties the engine the other benchmarks use.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

usage="usage: bash bench/cold_start.sh --move-aside coverage|ci"
[ "${1:-}" = --move-aside ] || die "$usage (it stops dockerd and moves its data root and the caches aside)"
case "${2:-}" in
  coverage) run=(bash scripts/coverage.sh up) ;;
  ci) run=(bash .ci/run) ;;
  *) die "$usage" ;;
esac
stamp=$(date -u +%Y%m%dT%H%M%SZ)
docker_root=$(docker info -f '{{.DockerRootDir}}' 2>/dev/null || echo /var/lib/docker)
pip_cache="${XDG_CACHE_HOME:-$HOME/.cache}/pip"

# The daemon scripts/docker-engine.sh started (its pid file), else any dockerd: stopped, and waited for.
pid=$(cat "$COVERAGE_SPY_CACHE/dockerd.pid" 2>/dev/null || pgrep -x dockerd || true)
if [ -n "$pid" ]; then
  log "stopping dockerd (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 120); do pgrep -x dockerd >/dev/null || break; sleep 0.5; done
  ! pgrep -x dockerd >/dev/null || die "dockerd (pid $pid) did not stop within 60 s"
fi
# A mount point (Docker's data root often is one) cannot be moved: its entries go into a folder inside it instead,
# which dockerd ignores.
for path in "$docker_root" "$COVERAGE_SPY_CACHE" "$pip_cache"; do
  [ -e "$path" ] || continue
  if mountpoint -q -- "$path"; then
    aside="$path/.cold-$stamp"
    mkdir -- "$aside"
    find "$path" -mindepth 1 -maxdepth 1 ! -name ".cold-*" -exec mv -t "$aside" -- {} +
  else
    aside="$path.cold-$stamp"
    mv -- "$path" "$aside"
  fi
  log "moved $path aside to $aside"
done
clone=$(mktemp -d)/coverage-spy
git clone -q "$REPO_ROOT" "$clone"
cd "$clone"
start=$(date +%s)
"${run[@]}" 2>&1 | while IFS= read -r line; do
  printf '%s +%ss %s\n' "$(date -u +%H:%M:%S)" "$(($(date +%s) - start))" "$line"
done
status=${PIPESTATUS[0]}
log "cold ${2}: exit $status after $(($(date +%s) - start)) s (clone in $clone)"
exit "$status"
