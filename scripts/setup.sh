#!/usr/bin/env bash
# Everything a coverage run needs on this machine, each part reused when present: the Docker engine, the Pulumi
# toolchain, and the images (scripts/images.sh; each skipped while its content is unchanged):
#   bash scripts/setup.sh                     every image: the tests', the demo's and the examples' (npm test), and
#                                             the whole toolchain
#   bash scripts/setup.sh --images IMAGE...   what a run of this repository's program needs: the toolchain's parts
#                                             for it (no Python or YAML language host) and only these images and
#                                             what they are built FROM (npm run coverage names its stack's; none:
#                                             the engine and the toolchain only)
#   bash scripts/setup.sh --check [--images IMAGE...]   changes nothing: exit 0 when the last complete setup's stamp
#                                             (below) says there is nothing to do, 1 when there is
# Fails, before anything of a stack is created, naming any part that cannot be had.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$SECONDS

check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
images=(--all)
toolchain_parts=()
if [ "${1:-}" = --images ]; then
  shift
  images=("$@")
  toolchain_parts=(--nodejs-only)
elif [ $# != 0 ]; then
  die "usage: scripts/setup.sh [--check] [--images IMAGE...]"
fi
# What the stamp says a setup was for: "all", or the images it was given.
if [ "${images[*]}" = --all ]; then
  wanted="for: all"
else
  wanted="for: $(printf '%s\n' "${images[@]}" | LC_ALL=C sort -u | xargs)"
fi

# A complete setup leaves a stamp: what it was for (all: the whole toolchain too), every coverage-spy image in the
# engine with its ID, and the toolchain's programs and plugins (less the marks of their last use, which every run
# touches). While the engine holds the same images, the toolchain is in place and no input file changed since (in
# package.json, scripts/, images/, examples/, coverage-spy/; Python's bytecode caches aside, which the test suites
# write), a setup for the same images or fewer has nothing to check again: one docker call instead of every check
# (about 2 s). A setup for all covers any; one for some images never covers more (a later full setup builds the
# rest). COVERAGE_SPY_SETUP=full skips the shortcut (after deleting an input file, say: only changed files are seen).
stamp="$COVERAGE_SPY_CACHE/setup-complete"
setup_state() {
  docker images --filter 'reference=coverage-spy/*' --format '{{.Repository}}:{{.Tag}} {{.ID}}' | LC_ALL=C sort
  ls -1 "$COVERAGE_SPY_CACHE/toolchain/bin" "$COVERAGE_SPY_CACHE/pulumi-home/plugins" --ignore='*.lastused' 2>/dev/null
}
inputs_changed() {
  [ -n "$(find "$REPO_ROOT/package.json" "$REPO_ROOT/scripts" "$REPO_ROOT/images" "$REPO_ROOT/examples" \
    "$REPO_ROOT/coverage-spy" -type f -newer "$stamp" ! -path '*/__pycache__/*' ! -name '*.pyc' -print -quit 2>/dev/null)" ]
}
# Whether the stamp's setup was for all, or for every image wanted now.
stamp_covers() {
  local was image now
  was="$(head -n 1 "$stamp")"
  [ "$was" = "for: all" ] && return 0
  [ "$wanted" != "for: all" ] || return 1
  read -r -a now <<<"${wanted#for: }"
  for image in "${now[@]}"; do
    [[ " ${was#for: } " == *" $image "* ]] || return 1
  done
}
if [ "${COVERAGE_SPY_SETUP:-}" != full ] && [ -s "$stamp" ] && stamp_covers && ! inputs_changed \
  && state_now="$(setup_state 2>/dev/null)" && [ "$state_now" = "$(tail -n +2 "$stamp")" ]; then
  log "setup: nothing changed since the last complete setup ($(head -n 1 "$stamp"), ${stamp});" \
    "COVERAGE_SPY_SETUP=full checks everything"
  exit 0
fi
if [ "$check" = 1 ]; then
  log "setup ($wanted): the last complete setup does not cover it, or something changed since"
  exit 1
fi
rm -f "$stamp"

step "Docker engine" bash "$REPO_ROOT/scripts/docker-engine.sh"
export COVERAGE_SPY_ENGINE_READY=1
# The toolchain's Go builds use the CPU, the image builds mostly the network and disk: run them side by side.
step "Pulumi toolchain" bash "$REPO_ROOT/scripts/toolchain.sh" "${toolchain_parts[@]}" &
toolchain=$!
images_rc=0
if [ ${#images[@]} = 0 ]; then
  log "images: none wanted"
else
  step "images" bash "$REPO_ROOT/scripts/images.sh" "${images[@]}" || images_rc=$?
fi
toolchain_rc=0
wait "$toolchain" || toolchain_rc=$?
[ "$toolchain_rc" = 0 ] || die "the Pulumi toolchain is not complete (see above)"
[ "$images_rc" = 0 ] || die "the images could not be built (see above)"
{ echo "$wanted" && setup_state; } >"$stamp.new" && mv "$stamp.new" "$stamp"
log "setup complete in $((SECONDS - started)) s"
