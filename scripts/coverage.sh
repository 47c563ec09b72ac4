#!/usr/bin/env bash
# The README's commands on this repository's bundled demo: the package's own command (cli/main.ts, compiled to
# bin/cli/main.js) after the build, with this repository's environment (scripts/pulumi-env.sh: the toolchain, a
# file backend in .state/ unless PULUMI_BACKEND_URL names another).
#   bash scripts/coverage.sh up|preview|destroy|watch|snapshot|who|unlock|prune|summary [options of that command]
# up, preview, watch and destroy first check the engine and the toolchain for this repository's program
# (scripts/setup.sh --images); up, preview and watch also the images the stack runs, and only those
# (scripts/helpers/stackImages.ts reads them from its config after the build): another stack's are built when it
# runs. The stack: --stack, else $COVERAGE_SPY_STACK, else the git branch's (see README, "One stack per branch"); a
# stack without stacks/Pulumi.<stack>.yaml starts from stacks/Pulumi.dev.yaml (the bundled demo).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

command="${1:-}"
case "$command" in
  up|preview|destroy|watch|snapshot|who|unlock|prune|summary) shift ;;
  *) die "usage: scripts/coverage.sh up|preview|destroy|watch|snapshot|who|unlock|prune|summary [options]" ;;
esac

started=$SECONDS
[ -d node_modules/@pulumi/pulumi ] || step "npm ci" npm ci --no-audit --no-fund
# The build needs none of the setup but the stack's images: it runs beside the rest, and not at all while bin/ is
# newer than every source.
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! build_is_current; then
  node node_modules/typescript/bin/tsc -p tsconfig.json >"$build_log" 2>&1 &
  build=$!
else
  true &
  build=$!
fi
# Waits for the build once; its failure stops the command.
built() {
  [ -n "$build" ] || return 0
  wait "$build" || { cat "$build_log" >&2; die "the TypeScript build failed (above)"; }
  build=""
}
# Stops before anything is created, naming any missing part of the toolchain and where it would come from.
case "$command" in
  up|preview|watch)
    built
    mapfile -t images < <(node bin/scripts/helpers/stackImages.js "$@")
    bash scripts/setup.sh --images "${images[@]}"
    ;;
  destroy) bash scripts/setup.sh --images ;;
esac
case "$command" in
  up|preview|destroy|watch|unlock|prune)
    # shellcheck source=scripts/pulumi-env.sh
    source scripts/pulumi-env.sh
    ;;
esac
built

# Not wrapped in `step`: on a failure the command's last lines are the cause, and nothing may follow them.
case "$command" in
  up|destroy)
    node bin/cli/main.js "$command" "$@"
    log "total $((SECONDS - started)) s"
    ;;
  *) exec node bin/cli/main.js "$command" "$@" ;;
esac
