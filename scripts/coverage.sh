#!/usr/bin/env bash
# The README's first command. `up`: from a fresh machine to a finished coverage run of a stack (default: dev,
# the bundled demo), printing the summary. `destroy`: tears the stack's containers, volume and network down.
#   bash scripts/coverage.sh up|destroy [--stack NAME]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

action="${1:-}"; shift || true
stack="${COVERAGE_SPY_STACK:-dev}"
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) stack="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
case "$action" in up|destroy) ;; *) die "usage: scripts/coverage.sh up|destroy [--stack NAME]" ;; esac

started=$SECONDS
[ -d node_modules/@pulumi/pulumi ] || step "npm ci" npm ci --no-audit --no-fund
bash scripts/setup.sh
# shellcheck source=scripts/pulumi-env.sh
source scripts/pulumi-env.sh
COVERAGE_SPY_LIB="$(bash scripts/spy-lib.sh | tail -n 1)"
export COVERAGE_SPY_LIB
step "build" npx tsc -p tsconfig.json

pulumi stack select "$stack" >/dev/null 2>&1 || step "create stack $stack" pulumi stack init "$stack"
if [ "$action" = up ]; then
  step "pulumi up ($stack)" pulumi up --yes --stack "$stack" --suppress-progress
  pulumi stack output coverage --json --stack "$stack" | node bin/scripts/print-summary.js
else
  step "pulumi destroy ($stack)" pulumi destroy --yes --stack "$stack" --suppress-progress
fi
log "total $((SECONDS - started)) s"
