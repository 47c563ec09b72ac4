#!/usr/bin/env bash
# The scale benchmark's test command for a stack of several demo services (demo1..demoN): the demo's suite
# against each, its COVERAGE_SPY_DEMO_URL set from that service's COVERAGE_SPY_DEMO<i>_URL.
#   bash bench/scale/demo_suites.sh COUNT parallel|serial
# parallel: all suites at once, each one's output printed after it ended; serial: one after the other.
# Ends with one "P passed, F failed" line over every suite (the summary's test counts); fails if any suite did.
set -uo pipefail
usage="usage: demo_suites.sh COUNT parallel|serial"
count="${1:?$usage}"
mode="${2:?$usage}"
[[ $count =~ ^[1-9][0-9]*$ && ($mode == parallel || $mode == serial) ]] || { echo "$usage" >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# suite I: the demo suite against service demoI; its output in $logs/I, its exit status in $logs/I.rc.
suite() {
  local url_var="COVERAGE_SPY_DEMO${1}_URL" rc=0
  if [[ -z ${!url_var:-} ]]; then
    echo "$url_var is not set" >"$logs/$1"
    rc=2
  else
    COVERAGE_SPY_DEMO_URL="${!url_var}" python3 -m unittest discover -s examples/demo/tests >"$logs/$1" 2>&1 || rc=$?
  fi
  echo "$rc" >"$logs/$1.rc"
}

for ((i = 1; i <= count; i++)); do
  if [[ $mode == parallel ]]; then suite "$i" & else suite "$i"; fi
done
wait
passed=0
failed=0
failed_suites=0
for ((i = 1; i <= count; i++)); do
  echo "--- demo$i"
  cat "$logs/$i"
  ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$logs/$i")
  bad=0
  while read -r n; do bad=$((bad + n)); done < <(grep -oE '(failures|errors)=[0-9]+' "$logs/$i" | cut -d= -f2)
  # A suite that failed without unittest's verdict (it did not start) counts as one failure.
  if [[ $(<"$logs/$i.rc") != 0 ]]; then
    failed_suites=$((failed_suites + 1))
    ((bad > 0)) || bad=1
  fi
  ((${ran:-0} > bad)) && passed=$((passed + ran - bad))
  failed=$((failed + bad))
done
echo "$passed passed, $failed failed"
((failed_suites == 0))
