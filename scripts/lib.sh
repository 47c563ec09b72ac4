# Shared helpers for coverage-spy's shell scripts. Source it; do not run it.
# shellcheck shell=bash

# Everything slow to rebuild lives outside the repo so fresh clones and later runs reuse it.
COVERAGE_SPY_CACHE="${COVERAGE_SPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coverage-spy}"
export COVERAGE_SPY_CACHE
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

log() { printf '[coverage-spy] %s\n' "$*" >&2; }
die() { printf '[coverage-spy] error: %s\n' "$*" >&2; exit 1; }

# step "label" cmd args...: runs a long step, says what it is doing and how long it took.
step() {
  local label="$1"; shift
  local started=$SECONDS
  log "$label ..."
  "$@" || { local rc=$?; log "$label failed after $((SECONDS - started)) s (exit $rc)"; return $rc; }
  log "$label done in $((SECONDS - started)) s"
}

# Exact npm version of a dependency, read from package.json: the one place that pins versions.
pinned_npm_version() {
  node -e 'const p=require(process.argv[1]); const v=(p.dependencies||{})[process.argv[2]]||(p.devDependencies||{})[process.argv[2]]; if(!v||!/^\d+\.\d+\.\d+$/.test(v)){console.error("no exact pin for "+process.argv[2]);process.exit(1)} console.log(v)' \
    "$REPO_ROOT/package.json" "$1"
}

# The coverage.py release the spy mounts into app containers and the harvester uses (package.json config.coveragePy).
pinned_coverage_version() {
  node -p 'require(process.argv[1]).config.coveragePy' "$REPO_ROOT/package.json"
}

# The coverage.py release for the Pythons the main pin no longer supports (package.json config.coveragePyLegacy).
pinned_legacy_coverage_version() {
  node -p 'require(process.argv[1]).config.coveragePyLegacy' "$REPO_ROOT/package.json"
}
