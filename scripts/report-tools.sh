#!/usr/bin/env bash
# The formats' own tools, for the tests that validate the harvester's reports:
#   coverage-spy/report-tools   an image with lcov 2 and xmllint (images/report-tools, Debian trixie packages)
#   coverage-04.dtd             the Cobertura DTD, from the pinned coverage.py's source release (lab/)
# Builds or fetches only what is missing; prints the DTD's path as its last line.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE=coverage-spy/report-tools:latest
docker info >/dev/null 2>&1 || bash "$REPO_ROOT/scripts/docker-engine.sh"
if ! image_exists "$IMAGE"; then
  image_exists coverage-spy/base:trixie || bash "$REPO_ROOT/scripts/base-images.sh" trixie
  step "docker build $IMAGE" docker build -q -t "$IMAGE" "$REPO_ROOT/images/report-tools" >/dev/null
fi

version=$(pinned_coverage_version)
dtd="$COVERAGE_SPY_CACHE/report-tools/coverage-04.dtd"
if [[ ! -s $dtd ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  step "coverage $version source release (for the Cobertura DTD)" \
    python3 -m pip download -q --no-deps --no-binary :all: --dest "$work" "coverage==$version"
  mkdir -p "$(dirname "$dtd")"
  tar -xzf "$work/coverage-$version.tar.gz" -C "$work" "coverage-$version/lab/coverage-04.dtd" \
    || die "coverage $version's source release has no lab/coverage-04.dtd"
  mv "$work/coverage-$version/lab/coverage-04.dtd" "$dtd"
fi
echo "$dtd"
