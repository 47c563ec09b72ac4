#!/usr/bin/env bash
# Everything a coverage run needs on this machine, each part reused when present:
# the Docker engine, the Pulumi toolchain, the spy's coverage.py, the base, harvester, demo and example images
# (stacks/Pulumi.example-*.yaml run the examples; each image is skipped while its content is unchanged).
# Fails, before anything of a stack is created, naming any part that cannot be had.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$SECONDS
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
log "setup complete in $((SECONDS - started)) s"
