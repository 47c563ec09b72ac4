#!/usr/bin/env bash
# Everything a coverage run needs on this machine, each part reused when present:
# the Docker engine, the Pulumi toolchain, the spy's coverage.py, the base, harvester and demo images.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$SECONDS
step "Docker engine" bash "$REPO_ROOT/scripts/docker-engine.sh"
step "Pulumi toolchain" bash "$REPO_ROOT/scripts/toolchain.sh"
step "images" bash "$REPO_ROOT/scripts/images.sh" --demo
log "setup complete in $((SECONDS - started)) s"
