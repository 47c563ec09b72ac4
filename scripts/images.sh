#!/usr/bin/env bash
# Builds the images coverage-spy needs on this machine, without any container registry, skipping what exists:
# the images named (a stack's: scripts/coverage.sh names the chosen stack's) and what each is built FROM, or all.
#   coverage-spy/base:trixie, :bookworm and :bullseye (scripts/base-images.sh; debootstrap)
#   coverage-spy/spy-base:trixie, the base this repository's stacks build the spy image FROM
#   (scripts/spy-base-image.sh); named, also that spy image (scripts/helpers/spyImage.ts: the component's recipe), which a first run would build
#   coverage-spy/demo-app:latest (FROM the trixie base), :bookworm and :bullseye (examples/demo)
#   coverage-spy/python-frameworks:trixie (images/python-frameworks, FROM the trixie base), coverage-spy/postgres:latest
#   and coverage-spy/redis:latest (images/postgres, images/redis, FROM the trixie base), and
#   coverage-spy/example-fastapi, -django, -flask-gevent, -celery:latest (examples/<name>, FROM python-frameworks)
#   with --all, the tests' too: the spy lib the asset tests run with on this host (scripts/spy-lib.sh), and
#   coverage-spy/harvester:<coverage version> and :latest (images/harvester), their throwaway containers (the
#   product builds its own spy image through the engine)
#
# Usage: scripts/images.sh [--rebuild] --all | IMAGE... | --demo | --examples
#   IMAGE       an image a stack runs (coverage-spy/example-django:latest): built with what it is built FROM; an
#               image of no recipe here (python:3.13-slim, your own) is left to the engine
#   --all       every image of this repository: the tests' (npm test), the demo's and every example's
#   --demo      the demo app's images; --examples: the framework examples' and the services they use
#   --rebuild   rebuild the harvester, demo and example images even when their content hash matches
#   COVERAGE_SPY_BASE_IMAGE=python:3.13-slim  build the harvester FROM another image (default coverage-spy/base:trixie)
# Images built here carry a coverage-spy.content-hash label (Dockerfile, inputs, version, base image ID): a change
# to any of them rebuilds, an unchanged one is skipped. Logs and timings go to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HARVESTER_DIR="$REPO_ROOT/images/harvester"
DEMO_DIR="${COVERAGE_SPY_DEMO_DIR:-$REPO_ROOT/examples/demo}"
FRAMEWORKS_IMAGE=coverage-spy/python-frameworks:trixie
EXAMPLES=(fastapi django flask-gevent celery)
HARVESTER_BASE="${COVERAGE_SPY_BASE_IMAGE:-coverage-spy/base:trixie}"
# The demo app's tag per Debian suite of its base.
declare -A DEMO_TAG=([trixie]=latest [bookworm]=bookworm [bullseye]=bullseye)

# Every image this script has a recipe for, and the one of them it is built FROM (none: debootstrapped).
declare -A BUILT_FROM=(
  [coverage-spy/base:trixie]="" [coverage-spy/base:bookworm]="" [coverage-spy/base:bullseye]=""
  [$SPY_BASE_IMAGE]=coverage-spy/base:trixie
  [coverage-spy/harvester:latest]="$HARVESTER_BASE"
  [$FRAMEWORKS_IMAGE]=coverage-spy/base:trixie
  [coverage-spy/postgres:latest]=coverage-spy/base:trixie
  [coverage-spy/redis:latest]=coverage-spy/base:trixie
)
for suite in "${!DEMO_TAG[@]}"; do BUILT_FROM[coverage-spy/demo-app:${DEMO_TAG[$suite]}]=coverage-spy/base:$suite; done
for example in "${EXAMPLES[@]}"; do BUILT_FROM[coverage-spy/example-$example:latest]=$FRAMEWORKS_IMAGE; done

# The images to build or check, each with why it is needed.
declare -A NEEDED=()

# need IMAGE WHY: IMAGE is to be built (or checked), and what it is built FROM before it; an image of no recipe here
# is left to the engine (a public image the build or the run pulls, or one of yours).
need() {
  local image="$1" why="$2"
  if [[ ! -v "BUILT_FROM[$image]" ]]; then
    log "$image ($why): not built here (no recipe in this repository): the engine must have it or pull it"
    return 0
  fi
  [[ -z ${NEEDED[$image]:-} ]] || return 0
  NEEDED[$image]=$why
  [[ -z ${BUILT_FROM[$image]} || ! -v "BUILT_FROM[${BUILT_FROM[$image]}]" ]] \
    || need "${BUILT_FROM[$image]}" "$image is built FROM it"
}
needed() { [[ -n ${NEEDED[$1]:-} ]]; }

REBUILD=0
TIMINGS=()

timed() {
  local label="$1"; shift
  local started=$SECONDS
  step "$label" "$@"
  TIMINGS+=("$(printf '%-44s %4d s' "$label" $((SECONDS - started)))")
}

# ID of a local image, or its name when it is not here (a registry image the build will pull).
image_ref_id() { image_id "$1" || echo "$1"; }

# docker build with whatever builder this docker has (BuildKit through buildx, or the legacy builder).
docker_build() {
  local log="$1"; shift
  if ! docker build "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    log "docker build failed: full log in $log"
    return 1
  fi
}

# Drop the untagged images a rebuild leaves behind: the previous build and the harvester's wheel-picking stage.
# Only images carrying our own labels are touched.
prune_dangling() {
  docker image prune -f --filter "label=coverage-spy.image=$1" >/dev/null 2>&1 || true
  [[ $1 == harvester ]] && { docker image prune -f --filter label=coverage-spy.stage=harvester-pick >/dev/null 2>&1 || true; }
  return 0
}

build_harvester() {
  local version
  version=$(pinned_coverage_version)
  local wheels="$COVERAGE_SPY_CACHE/wheels/coverage-$version"
  compgen -G "$wheels/coverage-$version-*.whl" >/dev/null || die "no coverage $version wheels in $wheels (scripts/spy-lib.sh downloads them)"
  local name="coverage-spy/harvester:$version"
  local hash
  hash=$(content_hash "$HARVESTER_DIR" "coverage=$version" "base=$HARVESTER_BASE@$(image_ref_id "$HARVESTER_BASE")" \
    "wheels=$(cd "$wheels" && printf '%s ' coverage-*.whl)")
  if [[ $REBUILD == 0 && $(image_hash "$name") == "$hash" ]]; then
    log "$name is up to date (content hash $hash): skipped"
  else
    local ctx
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/coverage-spy-harvester.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$ctx'" RETURN
    cp -a "$HARVESTER_DIR/." "$ctx/"
    mkdir -p "$ctx/wheels"
    cp "$wheels"/coverage-"$version"-*.whl "$ctx/wheels/"
    timed "harvester build" docker_build "$COVERAGE_SPY_CACHE/harvester-build.log" \
      --build-arg BASE_IMAGE="$HARVESTER_BASE" --build-arg COVERAGE_VERSION="$version" \
      --label "$HASH_LABEL=$hash" --label coverage-spy.image=harvester -t "$name" "$ctx"
    prune_dangling harvester
    grep -E '^(coverage|installed coverage)' "$COVERAGE_SPY_CACHE/harvester-build.log" | sed 's/^/[coverage-spy]   /' >&2 || true
  fi
  docker tag "$name" coverage-spy/harvester:latest
  # The check the product relies on: coverage imports with its C tracer; the spy lib is not needed here.
  # (A one-line probe run inside the image: it stays inline.)
  local out
  out=$(docker run --rm --network none "$name" python3 -c \
    'import sys, coverage, coverage.core as c; print(coverage.__version__, "%d.%d" % sys.version_info[:2], "C tracer" if c.CTRACER_FILE else "no C tracer")') \
    || die "$name does not import coverage"
  log "$name: coverage $out"
}

build_demo() {
  local suite base name hash
  for suite in trixie bookworm bullseye; do
    name="coverage-spy/demo-app:${DEMO_TAG[$suite]}"
    needed "$name" || continue
    if [[ ! -f $DEMO_DIR/Dockerfile ]]; then
      log "no examples/demo/Dockerfile yet: demo app images skipped"
      return 0
    fi
    base=${BUILT_FROM[$name]}
    hash=$(content_hash "$DEMO_DIR" "base=$base@$(image_ref_id "$base")")
    if [[ $REBUILD == 0 && $(image_hash "$name") == "$hash" ]]; then
      log "$name is up to date (content hash $hash): skipped"
      continue
    fi
    timed "demo build ($name)" docker_build "$COVERAGE_SPY_CACHE/demo-app-${DEMO_TAG[$suite]}-build.log" \
      --build-arg BASE_IMAGE="$base" --label "$HASH_LABEL=$hash" --label coverage-spy.image=demo-app \
      -t "$name" "$DEMO_DIR"
    prune_dangling demo-app
  done
}

# build_image NAME DIR BASE KIND: builds DIR's Dockerfile FROM BASE as NAME, as build_demo does (content hash of DIR
# and BASE's image ID in a label, skipped when unchanged, timed, log in the cache folder, labelled coverage-spy.image=KIND).
# Sets BUILT to 1 when it built, 0 when it skipped; fails (set -e) when the build fails.
BUILT=0
build_image() {
  local name="$1" dir="$2" base="$3" kind="$4" hash
  BUILT=0
  hash=$(content_hash "$dir" "base=$base@$(image_ref_id "$base")")
  if [[ $REBUILD == 0 && $(image_hash "$name") == "$hash" ]]; then
    log "$name is up to date (content hash $hash): skipped"
    return 0
  fi
  timed "$kind build" docker_build "$COVERAGE_SPY_CACHE/$kind-build.log" \
    --build-arg BASE_IMAGE="$base" --label "$HASH_LABEL=$hash" --label coverage-spy.image="$kind" \
    -t "$name" "$dir"
  prune_dangling "$kind"
  BUILT=1
}

# The framework examples (examples/<name>) FROM the shared framework layer, and the services they talk to: those
# needed, each FROM what BUILT_FROM says.
build_examples() {
  local kind name
  for kind in python-frameworks postgres redis; do
    name=coverage-spy/$kind:latest
    [[ $kind != python-frameworks ]] || name=$FRAMEWORKS_IMAGE
    ! needed "$name" || build_image "$name" "$REPO_ROOT/images/$kind" "${BUILT_FROM[$name]}" "$kind"
  done
  local example
  for example in "${EXAMPLES[@]}"; do
    name="coverage-spy/example-$example:latest"
    needed "$name" || continue
    build_image "$name" "$REPO_ROOT/examples/$example" "${BUILT_FROM[$name]}" "example-$example"
    [[ $BUILT == 1 ]] || continue
    # A production image: coverage-spy brings coverage.py at run time, so the image must not have its own.
    if docker run --rm --network none "$name" python3 -c 'import coverage' >/dev/null 2>&1; then
      die "$name imports coverage: a production image must not contain coverage.py"
    fi
    log "$name: no coverage.py inside (as it should be)"
  done
}

summary() {
  local line
  log "timings:"
  for line in "${TIMINGS[@]}"; do log "  $line"; done
  log "images:"
  docker image ls --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' 'coverage-spy/*' 2>/dev/null \
    | LC_ALL=C sort | while IFS= read -r line; do log "  $line"; done
}

# The demo app's images, the examples' and what they use: the names --demo and --examples stand for.
demo_images() {
  local suite
  for suite in trixie bookworm bullseye; do echo "coverage-spy/demo-app:${DEMO_TAG[$suite]}"; done
}
example_images() {
  local example
  echo coverage-spy/postgres:latest
  echo coverage-spy/redis:latest
  for example in "${EXAMPLES[@]}"; do echo "coverage-spy/example-$example:latest"; done
}

main() {
  local arg image named=0 usage="usage: scripts/images.sh [--rebuild] --all | IMAGE... | --demo | --examples"
  for arg in "$@"; do
    case $arg in
      --all)
        named=1
        # The tests' own: the harvester (with the spy lib's wheels), every base (the spy lib is checked in each).
        for image in coverage-spy/harvester:latest coverage-spy/base:trixie coverage-spy/base:bookworm \
          coverage-spy/base:bullseye "$SPY_BASE_IMAGE" $(demo_images) $(example_images); do
          need "$image" "--all (npm test)"
        done
        ;;
      --demo) named=1; for image in $(demo_images); do need "$image" "--demo"; done ;;
      --examples) named=1; for image in $(example_images); do need "$image" "--examples"; done ;;
      --rebuild) REBUILD=1 ;;
      -h | --help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
      -*) die "unknown option '$arg' ($usage)" ;;
      *) named=1; need "$arg" "named" ;;
    esac
  done
  [[ $named == 1 ]] || die "which images? ($usage)"
  local started=$SECONDS
  if ((${#NEEDED[@]} == 0)); then
    log "no image of this repository to build"
    return 0
  fi
  log "images to build or check, and why:"
  for image in $(printf '%s\n' "${!NEEDED[@]}" | LC_ALL=C sort); do log "  $image: ${NEEDED[$image]}"; done
  # setup.sh checked the engine already.
  [[ ${COVERAGE_SPY_ENGINE_READY:-} == 1 ]] || timed "docker engine" bash "$REPO_ROOT/scripts/docker-engine.sh"
  local suites=() suite
  for suite in trixie bookworm bullseye; do ! needed "coverage-spy/base:$suite" || suites+=("$suite"); done
  ((${#suites[@]} == 0)) || timed "base images (${suites[*]})" bash "$REPO_ROOT/scripts/base-images.sh" "${suites[@]}"
  # The base this repository's stacks build the spy image FROM (their spyBaseImage).
  ! needed "$SPY_BASE_IMAGE" || timed "spy base image" bash "$REPO_ROOT/scripts/spy-base-image.sh" >/dev/null
  # The spy image a stack that names this base builds first: built now, beside the toolchain, by the component's own
  # recipe (bin/, when it is current), so the first `pulumi up` finds it.
  if [[ ${NEEDED[$SPY_BASE_IMAGE]:-} == named ]]; then
    if (cd "$REPO_ROOT" && build_is_current); then
      timed "spy image" node "$REPO_ROOT/bin/scripts/helpers/spyImage.js" "$SPY_BASE_IMAGE"
    else
      log "the spy image: left to the run (bin/ is older than the sources)"
    fi
  fi
  if needed coverage-spy/harvester:latest; then
    local spy_lib
    # Through a file: timed must run in this shell to record its timing.
    timed "spy lib" prepare_spy_lib >"$COVERAGE_SPY_CACHE/.spy-lib-path"
    spy_lib=$(<"$COVERAGE_SPY_CACHE/.spy-lib-path")
    log "spy lib: $spy_lib"
    log "harvester FROM $HARVESTER_BASE"
    build_harvester
  fi
  build_demo
  build_examples
  TIMINGS+=("$(printf '%-44s %4d s' "images.sh in all" $((SECONDS - started)))")
  summary
}

main "$@"
