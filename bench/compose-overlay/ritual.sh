#!/usr/bin/env bash
# The overlay pattern's one-command ritual, what its users run for each coverage run of the demo (the baseline
# coverage-spy is measured against, bench/compose-overlay/cycle.sh):
#   docker-compose down; up -d with the overlay; wait until /healthz answers; the demo's test suite; a graceful
#   stop (stop_grace_period 10 s); the harvester (combine, reports), waited for; the text report printed.
#     bash bench/compose-overlay/ritual.sh [--timings-file FILE]   one cycle; each phase's milliseconds into FILE
#     bash bench/compose-overlay/ritual.sh clean                    removes the project's containers, network, volume
# Debian's docker-compose (1.29) runs it, installed when missing. The compose project is $BENCH_OVERLAY_PROJECT
# (default bench-overlay), the demo's port $BENCH_OVERLAY_PORT (18080) on 127.0.0.1, the reports go to
# reports/<project>/ (text, html, xml, json).
# Once per machine, before the timed cycle ("checks", 0 s when warm): the coverage.py folder the service mounts
# (the cached wheel for the image's Python, unpacked and byte-compiled by that Python: what `pip install --target`
# leaves), and the data volume made writable for the image's user (uid 1000; a new named volume is root's).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/../../scripts/lib.sh"
cd "$REPO_ROOT"

# NOW: milliseconds since the epoch, without starting a process.
clock() {
  local t=${EPOCHREALTIME//[.,]/}
  NOW=$((t / 1000))
}
clock
started=$NOW

action=cycle timings_file=""
while (($#)); do
  case "$1" in
    --timings-file) timings_file="$2"; shift 2 ;;
    clean) action=clean; shift ;;
    *) die "usage: ritual.sh [--timings-file FILE] | clean" ;;
  esac
done

project="${BENCH_OVERLAY_PROJECT:-bench-overlay}"
[[ $project == bench-* ]] || die "BENCH_OVERLAY_PROJECT must start with bench- (got $project)"
image=coverage-spy/demo-app:latest
version="$(pinned_coverage_version)"
export BENCH_OVERLAY_PORT="${BENCH_OVERLAY_PORT:-18080}"
export BENCH_OVERLAY_COVERAGE_VERSION="$version"
export BENCH_OVERLAY_WHEELS="$COVERAGE_SPY_CACHE/wheels/coverage-$version"
export BENCH_OVERLAY_COVERAGE_LIB="$COVERAGE_SPY_CACHE/bench-compose-overlay/coverage-$version"
export BENCH_OVERLAY_REPORTS="$REPO_ROOT/reports/$project"
url="http://127.0.0.1:$BENCH_OVERLAY_PORT"

command -v docker-compose >/dev/null || apt_install docker-compose
dc() { docker-compose -p "$project" -f "$here/docker-compose.yml" -f "$here/docker-compose.coverage.yml" "$@"; }

if [[ $action == clean ]]; then
  dc down -v --remove-orphans
  rm -rf "$BENCH_OVERLAY_REPORTS"
  exit 0
fi

# The coverage.py the service mounts: the wheel for the image's Python from the cache (scripts/spy-lib.sh fills
# it), unpacked, then byte-compiled by the image's own Python as pip would (the mount is read-only).
prepare_coverage_lib() {
  local dir="$BENCH_OVERLAY_COVERAGE_LIB" tag wheels tmp
  [[ -d $dir ]] && return 0
  tag="$(docker run --rm --entrypoint python3 "$image" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
  shopt -s nullglob
  wheels=("$BENCH_OVERLAY_WHEELS/coverage-$version-$tag-$tag-manylinux"*"_$(uname -m)"*.whl)
  shopt -u nullglob
  ((${#wheels[@]} == 1)) || die "no single coverage $version wheel for $tag in $BENCH_OVERLAY_WHEELS (bash scripts/spy-lib.sh fills it)"
  tmp="$dir.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  python3 -m zipfile -e "${wheels[0]}" "$tmp"
  docker run --rm --user 0 --entrypoint python3 -v "$tmp:/opt/coverage/lib" "$image" -m compileall -q /opt/coverage/lib >/dev/null
  mv "$tmp" "$dir"
  log "coverage.py $version for $tag (${wheels[0]##*/}) installed in $dir"
}

# The data volume, once: made writable for the image's user (a sticky, world-writable folder, like /tmp).
prepare_volume() {
  docker volume inspect "${project}_coverage-data" >/dev/null 2>&1 && return 0
  dc run --rm --no-deps --user 0 --entrypoint chmod harvester 1777 /coverage-data
}

# Phases, in the order they run: end NAME stores the milliseconds since the previous one ended in ms[NAME].
declare -A ms=()
phases=(checks down up ready suite stop harvest print)
end() {
  clock
  ms[$1]=$((NOW - phase_started))
  phase_started=$NOW
}

# As users write it: poll until the service answers, every 0.2 s (coverage-spy's own probe waits as long), 60 s at most.
wait_ready() {
  local deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      dc logs demo >&2
      die "the demo did not answer $url/healthz within 60 s"
    fi
    sleep 0.2
  done
}

phase_started=$started
prepare_coverage_lib
prepare_volume
end checks

dc down
end down
dc up -d
end up
wait_ready
end ready
suite_rc=0
COVERAGE_SPY_DEMO_URL="$url" python3 -m unittest discover -s examples/demo/tests -v || suite_rc=$?
end suite
dc stop
end stop
mkdir -p "$BENCH_OVERLAY_REPORTS"
dc run --rm harvester
end harvest
cat "$BENCH_OVERLAY_REPORTS/report.txt"
printf 'reports: %s (report.txt, html/index.html, coverage.xml, coverage.json)\n' "$BENCH_OVERLAY_REPORTS"
end print

if [[ -n $timings_file ]]; then
  percent="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["percent_covered"])' \
    "$BENCH_OVERLAY_REPORTS/coverage.json")"
  {
    printf '{'
    for name in "${phases[@]}"; do printf '"%s": %d, ' "$name" "${ms[$name]}"; done
    printf '"cycle": %d, "suiteExit": %d, "percent": %s}\n' "$((phase_started - started - ms[checks]))" "$suite_rc" "$percent"
  } >"$timings_file"
fi
exit "$suite_rc"
