#!/usr/bin/env bash
# The base this repository's stacks and tests build the spy image FROM (their spyBaseImage): the local
# coverage-spy/base:trixie (python3 3.13, no pip: the spy image's build installs it with apt-get), plus this
# machine's CA bundle as pip's PIP_CERT, so pip inside `docker build` trusts what this machine trusts (a
# TLS-inspecting proxy's CA, say). A user's base image carries its own settings the same way.
#
# Usage: scripts/spy-base-image.sh    (prints the image's name; a rebuild with nothing changed is Docker's cache)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FROM_IMAGE=coverage-spy/base:trixie

ca=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
[[ -r $ca ]] || die "no CA bundle at $ca: set PIP_CERT (or SSL_CERT_FILE) to the one this machine's pip uses"
docker image inspect "$FROM_IMAGE" >/dev/null 2>&1 || die "$FROM_IMAGE is missing: run scripts/base-images.sh trixie"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$ca" "$work/ca.pem"
chmod 644 "$work/ca.pem"
printf '%s\n' "FROM $FROM_IMAGE" "COPY ca.pem /etc/coverage-spy/pip-ca.pem" "ENV PIP_CERT=/etc/coverage-spy/pip-ca.pem" \
  >"$work/Dockerfile"
docker build -q -t "$SPY_BASE_IMAGE" "$work" >/dev/null 2>"$work/build.log" \
  || die "building $SPY_BASE_IMAGE failed: $(cat "$work/build.log")"
echo "$SPY_BASE_IMAGE"
