#!/usr/bin/env bash
# The README's first command. `up`: from a fresh machine to a finished coverage run of a stack, printing the
# summary. `destroy`: tears the stack's containers, volume and network down and removes the stack.
#   bash scripts/coverage.sh up|destroy [--stack NAME]
# The stack: --stack, else $COVERAGE_SPY_STACK, else the git branch's (see README, "One stack per branch");
# a stack without stacks/Pulumi.<stack>.yaml starts from stacks/Pulumi.dev.yaml (the bundled demo).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

action="${1:-}"; shift || true
stack_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) stack_args=(--stack "$2"); shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
case "$action" in up|destroy) ;; *) die "usage: scripts/coverage.sh up|destroy [--stack NAME]" ;; esac

started=$SECONDS
[ -d node_modules/@pulumi/pulumi ] || step "npm ci" npm ci --no-audit --no-fund
bash scripts/setup.sh
# A pulumi up needs every toolchain part: stop here, with the reason, when one is missing.
bash scripts/toolchain.sh --require >/dev/null 2>&1 || {
  log "cannot run the stack: the Pulumi toolchain is incomplete on this machine:"
  while read -r part state; do log "  $part: $state"; done <"$COVERAGE_SPY_CACHE/toolchain/status"
  die "install the missing plugins (or hand them in with COVERAGE_SPY_PLUGIN_DIR, see README) and run again"
}
# shellcheck source=scripts/pulumi-env.sh
source scripts/pulumi-env.sh
COVERAGE_SPY_LIB="$(bash scripts/spy-lib.sh | tail -n 1)"
export COVERAGE_SPY_LIB
step "build" npx tsc -p tsconfig.json

outputs="$(mktemp)"
trap 'rm -f "$outputs"' EXIT
if [ "$action" = up ]; then
  step "pulumi up" node bin/scripts/run-stack.js up "${stack_args[@]}" --outputs-file "$outputs"
  node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).coverage))' "$outputs" \
    | node bin/scripts/print-summary.js
else
  step "pulumi destroy --remove" node bin/scripts/run-stack.js destroy "${stack_args[@]}"
fi
log "total $((SECONDS - started)) s"
