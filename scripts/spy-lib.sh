#!/usr/bin/env bash
# Prepares the coverage.py folder that the spy mounts read-only into app containers
# (-v DIR:/opt/coverage-spy/lib:ro -e PYTHONPATH=/opt/coverage-spy/lib): coverage==<pinned> installed for every
# CPython 3.9..3.14 that has wheels, x86_64 and aarch64, glibc (manylinux) and musl (musllinux), regular and
# free-threaded builds, all in ONE folder, so the compiled tracers sit side by side:
#   coverage/tracer.cpython-313-x86_64-linux-gnu.so, coverage/tracer.cpython-311-aarch64-linux-musl.so, ...
# A Python with no matching tracer still works: coverage.py falls back to its pure-Python tracer (or sys.monitoring).
# Versions the pinned release does not support (coverage 7.17 requires Python >= 3.11) simply get no tracer.
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

PY_VERSIONS=(3.9 3.10 3.11 3.12 3.13 3.14)
# arch -> pip --platform tags (newest first); libc flavours are separate entries so each gets its own wheel.
declare -A PLATFORMS=(
  [x86_64-gnu]="manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64"
  [aarch64-gnu]="manylinux_2_28_aarch64 manylinux_2_17_aarch64 manylinux2014_aarch64"
  [x86_64-musl]="musllinux_1_2_x86_64 musllinux_1_1_x86_64"
  [aarch64-musl]="musllinux_1_2_aarch64 musllinux_1_1_aarch64"
)
PLATFORM_ORDER=(x86_64-gnu aarch64-gnu x86_64-musl aarch64-musl)
VERIFY_IMAGES=(coverage-spy/base:trixie coverage-spy/base:bookworm)
MOUNT=/opt/coverage-spy/lib

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore

VERSION=$(pinned_coverage_version)
LIB_DIR="$COVERAGE_SPY_CACHE/spy-lib/coverage-$VERSION"
STAMP="$COVERAGE_SPY_CACHE/spy-lib/coverage-$VERSION.complete"
VERIFIED_DIR="$COVERAGE_SPY_CACHE/spy-lib/coverage-$VERSION.verified"
WHEELS_DIR="$COVERAGE_SPY_CACHE/wheels/coverage-$VERSION"

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

build_lib() {
  download_wheels
  local staging
  staging="$LIB_DIR.tmp.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  trap 'rm -rf "$staging" "$staging.one"' EXIT
  local py abi plat installed=0
  for py in "${PY_VERSIONS[@]}"; do
    for abi in $(abis_for "$py"); do
      for plat in "${PLATFORM_ORDER[@]}"; do
        have_wheel "$abi" "$plat" || continue
        local args
        mapfile -t args < <(target_args "$py" "$abi" "$plat")
        rm -rf "$staging.one"
        # pip will not install twice into one --target: install each flavour alone, then merge.
        # --no-compile: this host's interpreter would write its own .pyc files, which differ per install.
        if pip install -q --no-compile "${args[@]}" --no-index --find-links "$WHEELS_DIR" --target "$staging.one" \
          "coverage==$VERSION" >&2; then
          rm -rf "$staging.one/bin" # console scripts with this host's interpreter in the shebang: useless in containers
          merge_into "$staging.one" "$staging"
          installed=$((installed + 1))
        else
          die "pip could not install the downloaded coverage $VERSION wheel for $abi/$plat into a --target folder"
        fi
      done
    done
  done
  rm -rf "$staging.one"
  ((installed > 0)) || die "no wheel could be installed into $staging"
  find "$staging" -name __pycache__ -type d -prune -exec rm -rf {} +
  chmod -R a+rX "$staging"
  rm -rf "$LIB_DIR"
  mv "$staging" "$LIB_DIR"
  trap - EXIT
  tracers > "$STAMP"
  rm -rf "$VERIFIED_DIR"
  log "spy lib: coverage $VERSION with $(wc -l <"$STAMP") compiled tracers in $LIB_DIR"
}

tracers() { (cd "$LIB_DIR/coverage" && ls tracer.*.so) | sort; }

verify() {
  local force="$1"
  if ! { command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then
    log "no docker engine: skipping the in-container check (run scripts/docker-engine.sh)"
    return 0
  fi
  mkdir -p "$VERIFIED_DIR"
  local image id
  for image in "${VERIFY_IMAGES[@]}"; do
    id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null) || {
      log "$image not built yet: skipping its check (scripts/base-images.sh)"
      continue
    }
    id=${id#sha256:}
    [[ $force == 1 || ! -e $VERIFIED_DIR/${id:0:12} ]] || continue
    local out
    out=$(docker run --rm --network none -v "$LIB_DIR:$MOUNT:ro" -e PYTHONPATH="$MOUNT" "$image" \
      python3 -c 'import sys, coverage, coverage.tracer; print(coverage.__version__, "%d.%d" % sys.version_info[:2], coverage.tracer.__file__.rsplit("/", 1)[-1])' 2>&1) \
      || die "coverage $VERSION from $LIB_DIR does not import with its C tracer in $image: $out"
    [[ $out == "$VERSION "* ]] || die "unexpected answer from $image: $out"
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
    step "spy lib (coverage $VERSION for CPython ${PY_VERSIONS[0]}..${PY_VERSIONS[-1]})" build_lib
  fi
  verify "$force_verify"
  echo "$LIB_DIR"
}

main "$@"
