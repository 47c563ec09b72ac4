#!/usr/bin/env bash
# coverage-spy test run: waits until every instrumented service is ready, runs the test suite against
# them, stops them gracefully (in parallel, timed) so each process saves its coverage data, and copies
# the measured source out of each container, so reports use exactly what ran. Prints tests.json.
# A failing test suite does not fail this script: the coverage of a red run is still wanted.
#
# Every parameter comes from the environment, never from shell text, so no value is ever parsed as code
# (components/testRun/testRunScript.ts builds them):
#   COVERAGE_SPY_RUN_DIR           host folder of this run's results: tests.log, tests.json, sources/<service>
#   COVERAGE_SPY_TEST_WORKING_DIR  folder the test command runs in
#   COVERAGE_SPY_TEST_TIMEOUT      seconds after which the test command is killed (exit code 124)
#   COVERAGE_SPY_TEST_COMMAND      the test command, run with `bash -c`
#   COVERAGE_SPY_SERVICE_COUNT     number of services N; then for each service i in 0..N-1:
#   COVERAGE_SPY_SERVICE_<i>_NAME               service name, also its folder under sources/
#   COVERAGE_SPY_SERVICE_<i>_CONTAINER          container name
#   COVERAGE_SPY_SERVICE_<i>_SOURCE_PATH        absolute path of the source inside the container
#   COVERAGE_SPY_SERVICE_<i>_URL_ENV            name of the variable holding the service's URL
#                                               (e.g. COVERAGE_SPY_API_URL); empty when it has no port
#   COVERAGE_SPY_SERVICE_<i>_READINESS_PATH     path the HTTP readiness probe GETs
#   COVERAGE_SPY_SERVICE_<i>_READINESS_TIMEOUT  seconds to wait until the service is ready
#   COVERAGE_SPY_SERVICE_<i>_HEALTHCHECK        1: wait for the Docker healthcheck; 0: GET the URL, if any
#   COVERAGE_SPY_SERVICE_<i>_STOP_GRACE         seconds `docker stop` waits before it kills the service
# It also reads the variable each _URL_ENV names. Needs bash, docker, timeout (coreutils) and python3.
set -uo pipefail

log() { printf '[coverage-spy] %s\n' "$*" >&2; }
# The cause on one line, so it stands out in Pulumi's error.
fail() {
  local message="$1"
  log "error: ${message//$'\n'/ }"
  exit "${2:-1}"
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
container_running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = "true" ]; }
show_logs() { log "last lines of $1:"; docker logs --tail 40 "$1" >&2 2>&1 || true; }

# param NAME: sets REPLY to the value of the variable NAME; fails when it is unset.
param() {
  [ -n "${!1+set}" ] || fail "$1 is not set"
  REPLY=${!1}
}
# uint_param NAME: as param, for a whole number; checked because bash arithmetic would evaluate anything else.
uint_param() {
  param "$1"
  [[ "$REPLY" =~ ^(0|[1-9][0-9]*)$ ]] || fail "$1 must be a whole number, got '$REPLY'"
}

# In a subshell that ignores SIGPIPE: Docker's port proxy accepts and then drops connections until the
# app listens, and a write to a dropped socket must fail the probe, not kill the script.
http_ok() (
  trap '' PIPE
  port="$1" path="$2" status=""
  exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3 2>/dev/null || exit 1
  IFS=' ' read -r -t 5 _ status _ <&3
  [[ "$status" =~ ^[23] ]]
)

# stop_services: stops every service gracefully, in parallel, each timed into $stop_dir/<index>. Every stop is
# waited for before it returns, so none is left running behind an error; returns 1 with $STOP_FAILURE set when
# one could not be stopped.
stop_dir=$(mktemp -d) || fail "could not create a temporary folder"
trap 'rm -rf -- "$stop_dir"' EXIT
stop_services() {
  local i not_stopped=() stop_pids=() list
  for i in "${!names[@]}"; do
    ( t=$(now_ms); docker stop --time "${graces[i]}" "${containers[i]}" >/dev/null || exit 1; echo $(( $(now_ms) - t )) > "$stop_dir/$i" ) &
    stop_pids[i]=$!
  done
  for i in "${!names[@]}"; do
    wait "${stop_pids[i]}" || not_stopped+=("${names[i]}")
  done
  [ "${#not_stopped[@]}" -eq 0 ] && return 0
  for i in "${!names[@]}"; do
    [ -s "$stop_dir/$i" ] || show_logs "${containers[i]}"
  done
  printf -v list '%s, ' "${not_stopped[@]}"
  STOP_FAILURE="could not stop service(s): ${list%, }"
  return 1
}

# stop_and_fail CAUSE [EXIT_CODE]: the run cannot go on: stop every service gracefully (a failed readiness
# check or an interrupt must not leave them running), then fail with the cause.
stop_and_fail() {
  log "stopping every service gracefully before failing"
  stop_services || log "$STOP_FAILURE"
  fail "$1" "${2:-1}"
}

# wait_ready NAME CONTAINER URL PATH TIMEOUT HEALTHCHECK(0|1)
wait_ready() {
  local name="$1" container="$2" url="$3" path="$4" timeout="$5" health="$6" start port probe
  port=${url##*:}
  port=${port%%/*}
  start=$(now_ms)
  while :; do
    container_running "$container" || { show_logs "$container"; stop_and_fail "service $name stopped before it was ready"; }
    if [ "$health" = 1 ]; then
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$container" 2>/dev/null)" = "healthy" ] && break
    elif [ -n "$url" ]; then
      http_ok "$port" "$path" && break
    else
      break
    fi
    if [ $(( $(now_ms) - start )) -ge $(( timeout * 1000 )) ]; then
      show_logs "$container"
      probe="container running"
      [ -n "$url" ] && probe="GET $url$path"
      [ "$health" = 1 ] && probe="healthcheck"
      stop_and_fail "service $name was not ready within $timeout s (probe: $probe)"
    fi
    sleep 0.2
  done
  log "service $name ready in $(( $(now_ms) - start )) ms"
}

# --- parameters ---
param COVERAGE_SPY_RUN_DIR; run_dir=$REPLY
param COVERAGE_SPY_TEST_WORKING_DIR; work_dir=$REPLY
uint_param COVERAGE_SPY_TEST_TIMEOUT; test_timeout=$REPLY
param COVERAGE_SPY_TEST_COMMAND
uint_param COVERAGE_SPY_SERVICE_COUNT; count=$REPLY
names=() containers=() sources=() urls=() readiness_paths=() readiness_timeouts=() healthchecks=() graces=()
for (( i = 0; i < count; i++ )); do
  p="COVERAGE_SPY_SERVICE_${i}_"
  param "${p}NAME"; names[i]=$REPLY
  # The name is a folder under sources/ that is removed before the copy: it must stay inside it.
  case "$REPLY" in ""|.|..|*/*) fail "${p}NAME '$REPLY' cannot name a folder" ;; esac
  param "${p}CONTAINER"; containers[i]=$REPLY
  param "${p}SOURCE_PATH"; sources[i]=$REPLY
  param "${p}URL_ENV"; url_env=$REPLY urls[i]=""
  if [ -n "$url_env" ]; then
    # Checked before the indirect expansion below, which would evaluate an array subscript.
    [[ "$url_env" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "${p}URL_ENV '$url_env' is not a variable name"
    param "$url_env"; urls[i]=$REPLY
  fi
  param "${p}READINESS_PATH"; readiness_paths[i]=$REPLY
  uint_param "${p}READINESS_TIMEOUT"; readiness_timeouts[i]=$REPLY
  param "${p}HEALTHCHECK"; healthchecks[i]=$REPLY
  [[ "$REPLY" =~ ^[01]$ ]] || fail "${p}HEALTHCHECK must be 0 or 1, got '$REPLY'"
  uint_param "${p}STOP_GRACE"; graces[i]=$REPLY
done

# --- readiness ---
mkdir -p "$run_dir/sources" || fail "could not create $run_dir/sources"
for i in "${!names[@]}"; do
  wait_ready "${names[i]}" "${containers[i]}" "${urls[i]}" "${readiness_paths[i]}" "${readiness_timeouts[i]}" "${healthchecks[i]}"
done

# --- tests ---
# The suite runs in the background and is waited for, so an interrupt (Ctrl-C, SIGTERM) is handled at once: the
# suite is stopped and the services too, gracefully, so every process saves its data. `timeout` puts the suite
# in a process group of its own (the group's id is its pid), which the terminal's Ctrl-C does not reach.
on_interrupt() {
  trap - INT TERM HUP
  log "interrupted: stopping the test suite, then the services gracefully so their data is saved"
  [ -z "${suite_pid:-}" ] || kill -TERM -- "-$suite_pid" 2>/dev/null
  stop_and_fail "the run was interrupted (the test suite and the services were stopped)" 130
}
trap on_interrupt INT TERM HUP
log "running the test suite: $COVERAGE_SPY_TEST_COMMAND"
tests_started=$(now_ms)
exec 3> >(tee "$run_dir/tests.log" >&2)
tee_pid=$!
( cd "$work_dir" && exec timeout --kill-after=10 "$test_timeout" bash -c "$COVERAGE_SPY_TEST_COMMAND" ) >&3 2>&1 &
suite_pid=$!
wait "$suite_pid"
tests_rc=$?
suite_pid=""
exec 3>&-
wait "$tee_pid" 2>/dev/null
tests_ms=$(( $(now_ms) - tests_started ))
[ "$tests_rc" = 124 ] && log "the test suite was killed after $test_timeout s"
log "test suite exited with $tests_rc after $tests_ms ms; stopping services gracefully"

# --- services that did not live through the suite ---
# A service that exited before the stop (crashed, OOM-killed) is reported as such, not as a quick graceful stop.
exited_args=()
for i in "${!names[@]}"; do
  state=$(docker inspect -f '{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}' "${containers[i]}" 2>/dev/null) || state="false -1 false"
  read -r running exit_code oom_killed <<<"$state"
  [ "$running" = true ] && continue
  reason="exit code $exit_code"
  [ "$oom_killed" = true ] && reason="$reason, killed for lack of memory (OOM)"
  show_logs "${containers[i]}"
  log "warning: service ${names[i]} exited during the test suite ($reason): only the data it saved before is measured"
  exited_args+=("${names[i]}" "$exit_code" "$oom_killed")
done

# --- graceful stops, in parallel and timed ---
stop_services || fail "$STOP_FAILURE"
trap - INT TERM HUP

# --- sources and results ---
json_args=()
for i in "${!names[@]}"; do
  stop_ms=$(<"$stop_dir/$i")
  log "service ${names[i]} stopped in $stop_ms ms"
  source=${sources[i]}
  while [[ "$source" == */ ]]; do source=${source%/}; done
  rm -rf -- "$run_dir/sources/${names[i]}"
  docker cp "${containers[i]}:$source/." "$run_dir/sources/${names[i]}" >/dev/null \
    || fail "could not copy ${sources[i]} out of service ${names[i]}"
  json_args+=("${names[i]}" "$stop_ms")
done
# python3 escapes the service names, so the JSON stays valid whatever they are; -I ignores PYTHON* variables
# of the test environment.
python3 -I -c '
import json, sys
rc, duration, n_exited, *rest = sys.argv[1:]
exited, stops = rest[:3 * int(n_exited)], rest[3 * int(n_exited):]
stop_ms = {stops[i]: int(stops[i + 1]) for i in range(0, len(stops), 2)}
exited_early = {exited[i]: {"exitCode": int(exited[i + 1]), "oomKilled": exited[i + 2] == "true"} for i in range(0, len(exited), 3)}
print(json.dumps({"exitCode": int(rc), "durationMs": int(duration), "stopMs": stop_ms, "exitedEarly": exited_early}, separators=(",", ":")))
' "$tests_rc" "$tests_ms" "$(( ${#exited_args[@]} / 3 ))" "${exited_args[@]}" "${json_args[@]}" > "$run_dir/tests.json" \
  || fail "could not write $run_dir/tests.json"
cat "$run_dir/tests.json"
