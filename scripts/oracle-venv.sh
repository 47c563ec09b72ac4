#!/usr/bin/env bash
# A virtualenv with the pinned coverage.py installed the ordinary way (pip, so its subprocess .pth is in
# site-packages): the reference side of the fidelity oracle. Prints the venv's python as its last line.
# `oracle-venv.sh diff-cover`: a venv of its own that also has diff-cover at the version pinned below, the reference
# side of the patch coverage oracle (its bin/ holds the diff-cover command).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The current stable release when pinned.
DIFF_COVER_VERSION=11.0.1
version="$(pinned_coverage_version)"
venv="$COVERAGE_SPY_CACHE/oracle-venv/coverage-$version"
with_diff_cover=false
if [[ ${1:-} == diff-cover ]]; then
  with_diff_cover=true
  venv="$venv+diff-cover-$DIFF_COVER_VERSION"
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [diff-cover]" >&2
  exit 2
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore

# has_pins: the venv's python runs and has exactly the pinned coverage (and diff-cover, when asked for).
has_pins() {
  [[ -x $venv/bin/python ]] && "$venv/bin/python" - "$version" "$with_diff_cover" "$DIFF_COVER_VERSION" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version

coverage, with_diff_cover, diff_cover = sys.argv[1:]
sys.exit(version("coverage") != coverage or (with_diff_cover == "true" and version("diff-cover") != diff_cover))
PY
}

if ! has_pins; then
  make_venv() {
    rm -rf "$venv"
    python3 -m venv "$venv"
    # Offline from the wheels scripts/spy-lib.sh downloaded, else from the package index.
    "$venv/bin/pip" install -q --no-index --find-links "$COVERAGE_SPY_CACHE/wheels/coverage-$version" "coverage==$version" \
      || "$venv/bin/pip" install -q "coverage==$version"
    if $with_diff_cover; then "$venv/bin/pip" install -q "diff-cover==$DIFF_COVER_VERSION"; fi
  }
  step "reference virtualenv with coverage $version$($with_diff_cover && echo " and diff-cover $DIFF_COVER_VERSION")" make_venv >&2
fi
echo "$venv/bin/python"
