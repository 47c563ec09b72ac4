#!/usr/bin/env bash
# Everything a coverage run needs on this machine, each part reused when present:
# the Docker engine, the Pulumi toolchain, the spy's coverage.py, the base, harvester, demo and example images
# (stacks/Pulumi.example-*.yaml run the examples; each image is skipped while its content is unchanged).
# Fails, before anything of a stack is created, naming any part that cannot be had.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$SECONDS

# A complete setup leaves a stamp: every coverage-spy image in the engine with its ID, and the toolchain's programs
# and plugins. While the engine holds the same images, the toolchain is in place and no input file changed since
# (in package.json, scripts/, images/, examples/, coverage-spy/; Python's bytecode caches aside, which the test
# suites write), there is nothing to check again: one docker call instead of every check (about 2 s).
# COVERAGE_SPY_SETUP=full skips the shortcut (after deleting an input file, say: only changed files are seen).
stamp="$COVERAGE_SPY_CACHE/setup-complete"
setup_state() {
  docker images --filter 'reference=coverage-spy/*' --format '{{.Repository}}:{{.Tag}} {{.ID}}' | LC_ALL=C sort
  ls -1 "$COVERAGE_SPY_CACHE/toolchain/bin" "$COVERAGE_SPY_CACHE/pulumi-home/plugins" 2>/dev/null
}
inputs_changed() {
  [ -n "$(find "$REPO_ROOT/package.json" "$REPO_ROOT/scripts" "$REPO_ROOT/images" "$REPO_ROOT/examples" \
    "$REPO_ROOT/coverage-spy" -type f -newer "$stamp" ! -path '*/__pycache__/*' ! -name '*.pyc' -print -quit 2>/dev/null)" ]
}
if [ "${COVERAGE_SPY_SETUP:-}" != full ] && [ -s "$stamp" ] && ! inputs_changed \
  && state_now="$(setup_state 2>/dev/null)" && [ "$state_now" = "$(<"$stamp")" ]; then
  log "setup: nothing changed since the last complete setup (${stamp}); COVERAGE_SPY_SETUP=full checks everything"
  exit 0
fi
rm -f "$stamp"

step "Docker engine" bash "$REPO_ROOT/scripts/docker-engine.sh"
export COVERAGE_SPY_ENGINE_READY=1
# The toolchain's Go builds use the CPU, the image builds mostly the network and disk: run them side by side.
step "Pulumi toolchain" bash "$REPO_ROOT/scripts/toolchain.sh" &
toolchain=$!
images_rc=0
step "images" bash "$REPO_ROOT/scripts/images.sh" --demo --examples || images_rc=$?
toolchain_rc=0
wait "$toolchain" || toolchain_rc=$?
[ "$toolchain_rc" = 0 ] || die "the Pulumi toolchain is not complete (see above)"
[ "$images_rc" = 0 ] || die "the images could not be built (see above)"
setup_state >"$stamp.new" && mv "$stamp.new" "$stamp"
log "setup complete in $((SECONDS - started)) s"
