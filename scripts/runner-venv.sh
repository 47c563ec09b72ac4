#!/usr/bin/env bash
# A virtualenv with pytest and pytest-xdist at the versions pinned below, installed the ordinary way (pip, from the
# package index): the pytest the tests of the runner side of per-test contexts run the plugin with
# (coverage-spy/runner/coverage_spy_runner.py; coverage-spy/tests/test_runner.py reads this python from
# COVERAGE_SPY_PYTEST_PYTHON). Made once in $COVERAGE_SPY_CACHE/runner-venv/pytest-<version> and reused; made anew
# when it lacks the pinned versions. Prints the venv's python as its last line; everything else goes to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The current stable releases when pinned. pytest 9 needs Python 3.10+ (the runner module itself keeps 3.9): this
# venv is made with the host's python3.
PYTEST_VERSION=9.2.0
XDIST_VERSION=3.8.0

venv="$COVERAGE_SPY_CACHE/runner-venv/pytest-$PYTEST_VERSION"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore

# has_pins: the venv's python runs and has exactly the pinned pytest and pytest-xdist.
has_pins() {
  [[ -x $venv/bin/python ]] && "$venv/bin/python" - "$PYTEST_VERSION" "$XDIST_VERSION" 2>/dev/null <<'EOF'
import sys
from importlib.metadata import version

sys.exit((version("pytest"), version("pytest-xdist")) != (sys.argv[1], sys.argv[2]))
EOF
}

make_venv() {
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv $venv failed (Debian: apt-get install python3-venv)"
  # The user's PYTHONPATH (the spy lib, say) has no business in pip's run.
  PYTHONPATH="" "$venv/bin/pip" install -q "pytest==$PYTEST_VERSION" "pytest-xdist==$XDIST_VERSION" \
    || die "pip could not install pytest==$PYTEST_VERSION pytest-xdist==$XDIST_VERSION into $venv (is the package index reachable?)"
}

if ! has_pins; then
  step "runner virtualenv with pytest $PYTEST_VERSION and pytest-xdist $XDIST_VERSION" make_venv >&2
  has_pins || die "$venv was made but does not have pytest $PYTEST_VERSION and pytest-xdist $XDIST_VERSION"
fi
echo "$venv/bin/python"
