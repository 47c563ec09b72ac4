#!/usr/bin/env bash
# Prepares the coverage.py folder that the spy mounts read-only into app containers
# (-v DIR:/opt/coverage-spy/lib:ro -e PYTHONPATH=/opt/coverage-spy/lib): coverage==<pinned> installed for every
# CPython it supports (3.11..3.14), x86_64 and aarch64, glibc (manylinux) and musl (musllinux), regular and
# free-threaded builds, all in ONE folder, so the compiled tracers sit side by side:
#   coverage/tracer.cpython-313-x86_64-linux-gnu.so, coverage/tracer.cpython-311-aarch64-linux-musl.so, ...
# The Pythons the pinned release no longer supports (3.9, 3.10) get coverage==<legacy pin> the same way, in the
# sub-folder legacy/. The manifest coverage-spy-lib.json lists both builds with the oldest Python each runs on;
# the spy's sitecustomize reads it and puts the right one on sys.path before importing coverage.
# A Python with no matching tracer still works: coverage.py falls back to its pure-Python tracer (or sys.monitoring).
#
# The wheels are kept in $COVERAGE_SPY_CACHE/wheels/coverage-<ver>/ (scripts/images.sh builds the harvester from them).
# Skipped when the stamp says the folder is complete. Verifies the C tracer imports in each local base image
# (coverage-spy/base:trixie, :bookworm) once per image ID.
#
# Usage: scripts/spy-lib.sh [--verify]    (--verify: check the base images again even if done before)
# Prints the folder's path on stdout as its last line; everything else goes to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAIN_PY_VERSIONS=(3.11 3.12 3.13 3.14)
LEGACY_PY_VERSIONS=(3.9 3.10)
# arch -> pip --platform tags (newest first); libc flavours are separate entries so each gets its own wheel.
declare -A PLATFORMS=(
  [x86_64-gnu]="manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64"
  [aarch64-gnu]="manylinux_2_28_aarch64 manylinux_2_17_aarch64 manylinux2014_aarch64"
  [x86_64-musl]="musllinux_1_2_x86_64 musllinux_1_1_x86_64"
  [aarch64-musl]="musllinux_1_2_aarch64 musllinux_1_1_aarch64"
)
ALL_PLATFORMS=(x86_64-gnu aarch64-gnu x86_64-musl aarch64-musl)
# Before 3.12 (roughly) a musl CPython names its extensions "...-linux-gnu.so" too, so the legacy build's musl
# tracers would overwrite the glibc ones: it is glibc only, and a musl 3.9/3.10 gets coverage.py's Python tracer.
LEGACY_PLATFORMS=(x86_64-gnu aarch64-gnu)
VERIFY_IMAGES=(coverage-spy/base:trixie coverage-spy/base:bookworm coverage-spy/base:bullseye)
MOUNT=/opt/coverage-spy/lib

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore

MAIN_VERSION=$(pinned_coverage_version)
LEGACY_VERSION=$(pinned_legacy_coverage_version)
LIB_DIR=$(spy_lib_dir "$MAIN_VERSION" "$LEGACY_VERSION")
STAMP="$LIB_DIR.complete"
# One stamp per base image: checked there, and the bytecode of its Python written.
VERIFIED_DIR="$LIB_DIR.verified-compiled"
# The build being made: set by use_build VERSION "PLATFORM..." PYTHON...
VERSION="" WHEELS_DIR="" PY_VERSIONS=() PLATFORM_ORDER=()
use_build() {
  VERSION="$1"
  WHEELS_DIR="$COVERAGE_SPY_CACHE/wheels/coverage-$VERSION"
  read -r -a PLATFORM_ORDER <<<"$2"
  shift 2
  PY_VERSIONS=("$@")
}

pip() {
  if python3 -m pip --version >/dev/null 2>&1; then
    python3 -m pip "$@"
  else
    die "python3 -m pip is missing on this host: install pip (Debian: apt-get install python3-pip)"
  fi
}

# pip args selecting one interpreter flavour: $1 = 3.X, $2 = abi (cp3X or cp3Xt), $3 = PLATFORMS key.
target_args() {
  local args=(--no-deps --only-binary=:all: --implementation cp --python-version "$1" --abi "$2")
  local p
  for p in ${PLATFORMS[$3]}; do args+=(--platform "$p"); done
  printf '%s\n' "${args[@]}"
}

abis_for() {
  local v="${1/./}"
  echo "cp$v"
  # Free-threaded builds (PEP 703) have their own ABI from 3.13 on.
  ((v >= 313)) && echo "cp${v}t"
  return 0
}

# Is there a compiled wheel for $1 = abi (cp313) and $2 = PLATFORMS key (x86_64-gnu) in the wheel folder?
have_wheel() {
  local arch=${2%-*} libc=manylinux
  [[ $2 == *-musl ]] && libc=musllinux
  # File names: coverage-V-cp313-cp313-..., and for free-threaded builds coverage-V-cp314-cp314t-...
  compgen -G "$WHEELS_DIR/coverage-$VERSION-${1%t}-$1-*$libc*_$arch*.whl" >/dev/null
}

download_wheels() {
  mkdir -p "$WHEELS_DIR"
  local py abi plat found=() missing=()
  for py in "${PY_VERSIONS[@]}"; do
    for abi in $(abis_for "$py"); do
      for plat in "${PLATFORM_ORDER[@]}"; do
        if ! have_wheel "$abi" "$plat"; then
          local args
          mapfile -t args < <(target_args "$py" "$abi" "$plat")
          # pip may answer with the pure-Python wheel, or fail (no wheel for that Python): both mean "none".
          pip download -q "${args[@]}" --dest "$WHEELS_DIR" "coverage==$VERSION" >/dev/null 2>&1 || true
        fi
        if have_wheel "$abi" "$plat"; then found+=("$abi/$plat"); else missing+=("$abi/$plat"); fi
      done
    done
  done
  # The pure-Python wheel: a fallback for the harvester image on any other interpreter.
  compgen -G "$WHEELS_DIR/coverage-$VERSION-py3-none-any.whl" >/dev/null \
    || pip download -q --no-deps --only-binary=:all: --python-version 3.13 --abi none --platform any \
      --dest "$WHEELS_DIR" "coverage==$VERSION" >/dev/null 2>&1 \
    || log "no pure-Python wheel of coverage $VERSION (harvester images then need a matching compiled one)"
  log "coverage $VERSION: ${#found[@]} compiled wheels in $WHEELS_DIR"
  log "no compiled wheel for: ${missing[*]:-(none missing)}"
  ((${#found[@]} > 0)) || die "no coverage==$VERSION wheel could be downloaded (is the package index reachable? try: python3 -m pip download --no-deps coverage==$VERSION)"
}

# Same-named files in two wheels must be identical, except the per-wheel metadata (the compiled tracers' names
# differ anyway).
merge_into() {
  local from="$1" into="$2"
  local f
  while IFS= read -r -d '' f; do
    f=${f#./}
    case $f in
      # Metadata differs per wheel (tags, hashes, a "coverage-3.X" entry point): the first wheel's is kept.
      *.dist-info/*) [[ -e $into/$f ]] && continue ;;
    esac
    if [[ -e $into/$f ]]; then
      cmp -s "$from/$f" "$into/$f" || die "two coverage $VERSION wheels disagree on $f: cannot share one folder"
    else
      mkdir -p "$(dirname "$into/$f")"
      cp -p "$from/$f" "$into/$f"
    fi
  done < <(cd "$from" && find . -type f -print0)
}

# Installs the current build (use_build) into folder $1; prints the oldest Python version it has a wheel for.
install_build() {
  local into="$1" py abi plat installed=0 oldest=""
  download_wheels
  mkdir -p "$into"
  for py in "${PY_VERSIONS[@]}"; do
    for abi in $(abis_for "$py"); do
      for plat in "${PLATFORM_ORDER[@]}"; do
        have_wheel "$abi" "$plat" || continue
        local args
        mapfile -t args < <(target_args "$py" "$abi" "$plat")
        rm -rf "$into.one"
        # pip will not install twice into one --target: install each flavour alone, then merge.
        # --no-compile: this host's interpreter would write its own .pyc files, which differ per install.
        if pip install -q --no-compile "${args[@]}" --no-index --find-links "$WHEELS_DIR" --target "$into.one" \
          "coverage==$VERSION" >&2; then
          rm -rf "$into.one/bin" # console scripts with this host's interpreter in the shebang: useless in containers
          merge_into "$into.one" "$into"
          installed=$((installed + 1))
          [ -n "$oldest" ] || oldest=$py
        else
          die "pip could not install the downloaded coverage $VERSION wheel for $abi/$plat into a --target folder"
        fi
      done
    done
  done
  rm -rf "$into.one"
  ((installed > 0)) || die "no coverage $VERSION wheel could be installed into $into"
  echo "$oldest"
}

build_lib() {
  local staging main_oldest legacy_oldest
  staging="$LIB_DIR.tmp.$$"
  rm -rf "$staging"
  trap 'rm -rf "$staging" "$staging.one" "$staging/legacy.one"' EXIT
  # (install_build runs in a subshell, where die only ends the subshell: stop here too.)
  use_build "$MAIN_VERSION" "${ALL_PLATFORMS[*]}" "${MAIN_PY_VERSIONS[@]}"
  main_oldest=$(install_build "$staging") || exit 1
  use_build "$LEGACY_VERSION" "${LEGACY_PLATFORMS[*]}" "${LEGACY_PY_VERSIONS[@]}"
  legacy_oldest=$(install_build "$staging/legacy") || exit 1
  # Oldest Python first is wrong: the spy takes the first build whose minimum this Python meets, newest first.
  printf '{"builds": [{"dir": ".", "coverage": "%s", "python": [%s]}, {"dir": "legacy", "coverage": "%s", "python": [%s]}]}\n' \
    "$MAIN_VERSION" "${main_oldest/./, }" "$LEGACY_VERSION" "${legacy_oldest/./, }" >"$staging/coverage-spy-lib.json"
  find "$staging" -name __pycache__ -type d -prune -exec rm -rf {} +
  chmod -R a+rX "$staging"
  rm -rf "$LIB_DIR"
  mv "$staging" "$LIB_DIR"
  trap - EXIT
  tracers > "$STAMP"
  rm -rf "$VERIFIED_DIR"
  log "spy lib: coverage $MAIN_VERSION (Python >= $main_oldest) and $LEGACY_VERSION (Python >= $legacy_oldest), $(wc -l <"$STAMP") compiled tracers in $LIB_DIR"
}

tracers() { (cd "$LIB_DIR" && ls coverage/tracer.*.so legacy/coverage/tracer.*.so) | sort; }

verify() {
  local force="$1"
  if ! { command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then
    log "no docker engine: skipping the in-container check (run scripts/docker-engine.sh)"
    return 0
  fi
  mkdir -p "$VERIFIED_DIR"
  local image id
  for image in "${VERIFY_IMAGES[@]}"; do
    id=$(image_id "$image") || {
      log "$image not built yet: skipping its check (scripts/base-images.sh)"
      continue
    }
    id=${id#sha256:}
    [[ $force == 1 || ! -e $VERIFIED_DIR/${id:0:12} ]] || continue
    local out
    # Through the spy's own build selection, as an app process does it; the lib writable this once, so the selected
    # build's bytecode for this image's Python is written (as this user): services mount it read-only.
    out=$(docker run --rm --network none --user "$(id -u):$(id -g)" -v "$LIB_DIR:$MOUNT" \
      -v "$REPO_ROOT/coverage-spy/site:/opt/coverage-spy/site:ro" \
      -v "$COVERAGE_SPY_HELPERS/verify_spy_lib.py:/opt/coverage-spy/verify_spy_lib.py:ro" \
      -e PYTHONPATH="$MOUNT" -e PYTHONDONTWRITEBYTECODE=1 "$image" \
      python3 /opt/coverage-spy/verify_spy_lib.py /opt/coverage-spy/site --compile 2>&1) \
      || die "the spy lib $LIB_DIR does not import coverage with its C tracer in $image: $out"
    [[ $out == "$MAIN_VERSION "* || $out == "$LEGACY_VERSION "* ]] || die "unexpected answer from $image: $out"
    log "verified in $image: $out"
    echo "$image $out" >"$VERIFIED_DIR/${id:0:12}"
  done
}

main() {
  local force_verify=0
  case "${1:-}" in
    --verify) force_verify=1 ;;
    "") ;;
    *) die "usage: $0 [--verify]" ;;
  esac
  if [[ -s $STAMP && -d $LIB_DIR/coverage ]]; then
    log "spy lib complete: $LIB_DIR"
  else
    step "spy lib (coverage $MAIN_VERSION for CPython ${MAIN_PY_VERSIONS[0]}..${MAIN_PY_VERSIONS[-1]}, $LEGACY_VERSION for ${LEGACY_PY_VERSIONS[*]})" build_lib
  fi
  verify "$force_verify"
  echo "$LIB_DIR"
}

main "$@"
