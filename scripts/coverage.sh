#!/usr/bin/env bash
# The README's first command. `up`: from a fresh machine to a finished coverage run of a stack, printing the
# summary. `destroy`: tears the stack's containers, volume and network down and removes the stack.
#   bash scripts/coverage.sh up|destroy [--stack NAME] [--remove-reports]
# --remove-reports (destroy): also the runs coverage-spy wrote into the stack's default report folder.
# The stack: --stack, else $COVERAGE_SPY_STACK, else the git branch's (see README, "One stack per branch");
# a stack without stacks/Pulumi.<stack>.yaml starts from stacks/Pulumi.dev.yaml (the bundled demo).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

action="${1:-}"; shift || true
stack_args=()
destroy_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) [ $# -ge 2 ] || die "--stack needs a name"; stack_args=(--stack "$2"); shift 2 ;;
    --remove-reports) destroy_args=(--remove-reports); shift ;;
    *) die "unknown option $1" ;;
  esac
done
case "$action" in up|destroy) ;; *) die "usage: scripts/coverage.sh up|destroy [--stack NAME] [--remove-reports]" ;; esac
[ "$action" = destroy ] || [ ${#destroy_args[@]} -eq 0 ] || die "--remove-reports goes with destroy"

started=$SECONDS
[ -d node_modules/@pulumi/pulumi ] || step "npm ci" npm ci --no-audit --no-fund
# The build needs none of the setup: it runs beside it, and not at all while bin/ is newer than every source.
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! build_is_current; then
  node node_modules/typescript/bin/tsc -p tsconfig.json >"$build_log" 2>&1 &
  build=$!
else
  true &
  build=$!
fi
# Stops before anything is created, naming any missing part of the toolchain and where it would come from.
bash scripts/setup.sh
# shellcheck source=scripts/pulumi-env.sh
source scripts/pulumi-env.sh
wait "$build" || { cat "$build_log" >&2; die "the TypeScript build failed (above)"; }

# Not wrapped in `step`: on a failure the driver's last lines are the cause, and nothing may follow them.
if [ "$action" = up ]; then
  node bin/scripts/run-stack.js up "${stack_args[@]}" --print-summary
else
  node bin/scripts/run-stack.js destroy "${stack_args[@]}" "${destroy_args[@]}"
fi
log "total $((SECONDS - started)) s"
