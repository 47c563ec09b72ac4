# Shared helpers for coverage-spy's shell scripts. Source it; do not run it.
# shellcheck shell=bash

# Everything slow to rebuild lives outside the repo so fresh clones and later runs reuse it.
COVERAGE_SPY_CACHE="${COVERAGE_SPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coverage-spy}"
export COVERAGE_SPY_CACHE
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
# The base this repository's stacks build the spy image FROM (their spyBaseImage; scripts/spy-base-image.sh).
# shellcheck disable=SC2034 # for the scripts that source this file
SPY_BASE_IMAGE=coverage-spy/spy-base:trixie
# The programs these scripts run (Python and Node), each with its tests in scripts/helpers/tests or test/unit.
COVERAGE_SPY_HELPERS="$REPO_ROOT/scripts/helpers"

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

# apt_install PKG...: installs Debian packages (as root), running `apt-get update` once per process first.
_apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  [[ $(id -u) == 0 ]] || die "need root to install $* (run as root, or install it yourself)"
  if [[ $_apt_updated == 0 ]]; then
    step "apt-get update" apt-get update -qq
    _apt_updated=1
  fi
  # Keep the package's maintainer scripts from starting services behind our back (no systemd here);
  # only when no policy is in place already, and removed again afterwards.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive step "apt-get install $*" \
    apt-get install -y -qq --no-install-recommends "$@" >&2 || rc=$?
  [[ $added_policy == 1 ]] && rm -f "$policy"
  return $rc
}

# package_json pin NAME | config KEY | archives: what package.json pins (scripts/helpers/package-json.js).
package_json() { node "$COVERAGE_SPY_HELPERS/package-json.js" "$@"; }

# Exact npm version of a dependency, read from package.json: the one place that pins versions.
pinned_npm_version() { package_json pin "$1"; }

# The coverage.py release the spy mounts into app containers and the harvester uses (package.json config.coveragePy).
pinned_coverage_version() { package_json config coveragePy; }

# The coverage.py release for the Pythons the main pin no longer supports (package.json config.coveragePyLegacy).
pinned_legacy_coverage_version() { package_json config coveragePyLegacy; }

# json_field NAME [FILE]: a top-level field of the JSON object in FILE, or on stdin (scripts/helpers/json-query.js).
json_field() { node "$COVERAGE_SPY_HELPERS/json-query.js" field "$@"; }

# image_exists IMAGE: is the image in the local docker engine?
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# image_id IMAGE: the local image's ID (sha256:...); fails when it is not here.
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }

# Images built by the project carry this label: a hash of what they are built from (content_hash), so an unchanged
# one is not built again.
HASH_LABEL=coverage-spy.content-hash
# image_hash IMAGE: its content-hash label; empty when it has none or is not here.
image_hash() { docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null || true; }
# content_hash DIR [STRING...]: sha256 over the strings, then the names and contents of the files under DIR (caches
# and bytecode left out).
content_hash() {
  local dir="$1"; shift
  {
    printf '%s\n' "$@"
    (cd "$dir" && find . -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '.coverage*' \
      ! -path './node_modules/*' ! -path './.pytest_cache/*' -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
  } | sha256sum | cut -c1-16
}

# spy_lib_dir [MAIN LEGACY]: the folder scripts/spy-lib.sh prepares for the pinned coverage.py releases (or the
# ones given). Only its path: prepare_spy_lib makes sure it is there.
spy_lib_dir() {
  local main="${1:-}" legacy="${2:-}"
  [[ -n $main ]] || main=$(pinned_coverage_version)
  [[ -n $legacy ]] || legacy=$(pinned_legacy_coverage_version)
  echo "$COVERAGE_SPY_CACHE/spy-lib/coverage-$main+legacy-$legacy"
}

# prepare_spy_lib: runs scripts/spy-lib.sh (builds the folder when missing, checks it in the base images) and
# prints the folder, the last line it prints.
prepare_spy_lib() { bash "$REPO_ROOT/scripts/spy-lib.sh" | tail -n 1; }

# build_is_current: bin/ was compiled after every TypeScript source, tsconfig.json and package.json changed, so
# `tsc` (incremental, still a second or two) has nothing to do. Run from the repo root.
build_is_current() {
  [ -f bin/.tsbuildinfo ] && [ ! tsconfig.json -nt bin/.tsbuildinfo ] && [ ! package.json -nt bin/.tsbuildinfo ] \
    && [ -z "$(find index.ts components cli scripts bench test examples stacks -type f -name '*.ts' \
      -newer bin/.tsbuildinfo -print -quit 2>/dev/null)" ]
}
