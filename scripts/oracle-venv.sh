#!/usr/bin/env bash
# A virtualenv with the pinned coverage.py installed the ordinary way (pip, so its subprocess .pth is in
# site-packages): the reference side of the fidelity oracle. Prints the venv's python as its last line.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
version="$(pinned_coverage_version)"
venv="$COVERAGE_SPY_CACHE/oracle-venv/coverage-$version"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import coverage, sys; sys.exit(coverage.__version__ != '$version')" 2>/dev/null; then
  make_venv() {
    rm -rf "$venv"
    python3 -m venv "$venv"
    # Offline from the wheels scripts/spy-lib.sh downloaded, else from the package index.
    "$venv/bin/pip" install -q --no-index --find-links "$COVERAGE_SPY_CACHE/wheels/coverage-$version" "coverage==$version" \
      || "$venv/bin/pip" install -q "coverage==$version"
  }
  step "reference virtualenv with coverage $version" make_venv >&2
fi
echo "$venv/bin/python"
