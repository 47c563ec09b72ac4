#!/usr/bin/env bash
# Builds the local base images without any container registry:
#   coverage-spy/base:trixie    Debian trixie minbase + python3 (CPython 3.13)
#   coverage-spy/base:bookworm  Debian bookworm minbase + python3 (CPython 3.11)
#   coverage-spy/base:bullseye  Debian bullseye minbase + python3 (CPython 3.9: the spy's legacy coverage.py build)
# as `debootstrap --variant=minbase --include=python3 SUITE DIR MIRROR | docker import`.
#
# Usage: scripts/base-images.sh [trixie|bookworm|bullseye]...   (default: all)
#   COVERAGE_SPY_DEBIAN_MIRROR=URL overrides the Debian mirror, otherwise read from this host's apt sources.
#   COVERAGE_SPY_REBUILD=1 rebuilds images that already exist.
# An image that already exists is skipped, so a warm run only asks docker.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SUITES=(trixie bookworm bullseye)
declare -A PYTHON_OF=([trixie]=3.13 [bookworm]=3.11 [bullseye]=3.9)

image_name() { echo "coverage-spy/base:$1"; }

# The Debian archive URL this host's apt already uses: the first deb source whose suites include this host's
# release (deb822 *.sources, or one-line sources.list / *.list). Nothing is hard-coded here.
debian_mirror() {
  if [[ -n ${COVERAGE_SPY_DEBIAN_MIRROR:-} ]]; then echo "$COVERAGE_SPY_DEBIAN_MIRROR"; return; fi
  local codename=""
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || true
  local files=()
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  local f
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && files+=("$f")
  done
  ((${#files[@]})) || die "no apt sources on this host (/etc/apt/sources.list{,.d}): set COVERAGE_SPY_DEBIAN_MIRROR"
  python3 "$COVERAGE_SPY_HELPERS/debian_mirror.py" "$codename" "${files[@]}"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  [[ $(id -u) == 0 ]] || die "debootstrap is missing and installing it needs root"
  apt_install debootstrap
}

# Drop what a runtime image never needs: apt lists and caches, docs (but copyright), man pages, translations, logs.
slim_rootfs() {
  local root="$1"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/* \
    "$root"/root/.cache "$root"/etc/hostname
  # Message translations are a quarter of the image; keep locale.alias, which glibc and Python's locale module read.
  find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  find "$root"/usr/share/doc -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
  find "$root"/usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
  : >"$root"/etc/resolv.conf
  # The image carries no apt lists; keep apt from trying to fetch translations or recommends if someone adds lists.
  mkdir -p "$root"/etc/apt/apt.conf.d
  printf 'APT::Install-Recommends "false";\nAcquire::Languages "none";\n' >"$root"/etc/apt/apt.conf.d/90coverage-spy
}

build_one() {
  local suite="$1" mirror="$2"
  local name python started=$SECONDS old_id
  name=$(image_name "$suite")
  old_id=$(image_id "$name") || old_id=""
  python=${PYTHON_OF[$suite]}
  local work="$COVERAGE_SPY_CACHE/base-images"
  local root="$work/rootfs-$suite" debs="$work/debs-$suite"
  mkdir -p "$work" "$debs"
  rm -rf "$root"
  local dlog="$work/debootstrap-$suite.log"
  # shellcheck disable=SC2016 # expanded by the inner bash
  step "debootstrap $suite (minbase + python3) from $mirror" bash -c \
    'debootstrap --variant=minbase --include=python3 --cache-dir="$1" "$2" "$3" "$4" >"$5" 2>&1' \
    _ "$debs" "$suite" "$root" "$mirror" "$dlog" \
    || { tail -n 30 "$dlog" >&2; die "debootstrap $suite failed: see $dlog"; }
  local got
  # A one-line probe run inside the new rootfs: stays inline.
  got=$(chroot "$root" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
    || die "python3 does not run in the $suite rootfs"
  [[ $got == "$python" ]] || log "warning: $suite has Python $got, expected $python"
  slim_rootfs "$root"
  # shellcheck disable=SC2016 # expanded by the inner bash
  step "docker import $name" bash -c '
    tar --numeric-owner -C "$1" -c . | docker import \
      --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "ENV LANG=C.UTF-8" \
      --change "LABEL org.opencontainers.image.title=$2 org.opencontainers.image.description=\"Debian $3 minbase + python3 $4, built locally by coverage-spy (no registry)\" coverage-spy.debian-suite=$3 coverage-spy.python=$4" \
      --change "CMD [\"python3\"]" \
      --message "debootstrap --variant=minbase --include=python3 $3" \
      - "$2" >/dev/null' _ "$root" "$name" "$suite" "$got"
  rm -rf "$root"
  # A rebuild leaves the previous image untagged: drop it unless a container or another tag still uses it.
  if [[ -n $old_id && $old_id != "$(image_id "$name")" ]]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true
  fi
  local size
  size=$(docker image inspect -f '{{.Size}}' "$name")
  log "$name: Python $got, $((size / 1000000)) MB, built in $((SECONDS - started)) s"
}

main() {
  local suites=("$@")
  ((${#suites[@]})) || suites=("${ALL_SUITES[@]}")
  local s
  for s in "${suites[@]}"; do
    [[ -n ${PYTHON_OF[$s]:-} ]] || die "unknown suite '$s' (known: ${ALL_SUITES[*]})"
  done
  docker info >/dev/null 2>&1 || bash "$REPO_ROOT/scripts/docker-engine.sh"
  local todo=()
  for s in "${suites[@]}"; do
    if image_exists "$(image_name "$s")" && [[ ${COVERAGE_SPY_REBUILD:-0} != 1 ]]; then
      log "$(image_name "$s") exists: skipped"
    else
      todo+=("$s")
    fi
  done
  ((${#todo[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "building base images needs root (debootstrap): run as root, or docker pull/tag your own python image as $(image_name "${todo[0]}")"
  ensure_debootstrap
  local mirror
  mirror=$(debian_mirror)
  log "Debian mirror (from this host's apt sources): $mirror"
  for s in "${todo[@]}"; do
    build_one "$s" "$mirror"
  done
}

main "$@"
