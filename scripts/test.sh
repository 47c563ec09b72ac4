#!/usr/bin/env bash
# The README's test command (`npm test`): type check, unit tests (mocked engine), the Python asset tests,
# then the integration tests against the real Docker engine and a real `pulumi up`.
#   --unit-only         skip the integration tests (quick local loop)
#   --integration-only  only the integration tests
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

mode=all
case "${1:-}" in
  "") ;;
  --unit-only) mode=unit ;;
  --integration-only) mode=integration ;;
  *) die "unknown option $1 (use --unit-only or --integration-only)" ;;
esac

[ -d node_modules/@pulumi/pulumi ] || step "npm ci" npm ci --no-audit --no-fund
COVERAGE_SPY_LIB="$(bash scripts/spy-lib.sh | tail -n 1)"
export COVERAGE_SPY_LIB

if [ "$mode" != integration ]; then
  step "type check" npx tsc -p tsconfig.json --noEmit
  step "unit tests" npx jest --selectProjects unit
  step "asset tests" python3 -m unittest discover -s coverage-spy/tests -t coverage-spy
fi
if [ "$mode" != unit ]; then
  step "engine, toolchain and images" bash scripts/setup.sh
  # shellcheck source=scripts/pulumi-env.sh
  source scripts/pulumi-env.sh
  step "build" npx tsc -p tsconfig.json
  step "integration tests" npx jest --selectProjects integration --runInBand
fi
