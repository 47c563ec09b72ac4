#!/usr/bin/env bash
# coverage-spy test run: waits until every instrumented service is ready, runs the test suite against
# them, stops them gracefully (in parallel, timed, in waves: a service before those it depends on) so each
# process saves its coverage data, and copies the measured source out of each measured container, so reports
# use exactly what ran. Prints tests.json.
# A failing test suite does not fail this script: the coverage of a red run is still wanted.
#
# Every parameter comes from the environment, never from shell text, so no value is ever parsed as code
# (components/testRun/testRunScript.ts builds them):
#   COVERAGE_SPY_RUN_DIR           host folder of this run's results: tests.log, tests.json, sources/<service>
#   COVERAGE_SPY_TEST_WORKING_DIR  folder the test command runs in
#   COVERAGE_SPY_TEST_TIMEOUT      seconds after which the test command is killed (exit code 124)
#   COVERAGE_SPY_TEST_COMMAND      the test command, run with `bash -c`
#   COVERAGE_SPY_RUN_TAR           optional: also pack tests.json and sources/ into this tar (a remote engine's
#                                  harvester cannot see the run folder: components/engine/ uploads it there)
#   COVERAGE_SPY_SERVICE_COUNT     number of services; each one's parameters are documented in
#                                  coverage-spy/service-lib.sh (COVERAGE_SPY_SERVICE_<i>_*)
# Needs bash, docker and timeout (coreutils).
set -uo pipefail

# shellcheck source=coverage-spy/service-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/service-lib.sh"

# stop_services: stops every service gracefully, in parallel, each timed into $stop_dir/<index>. Every stop is
# waited for before it returns, so none is left running behind an error; returns 1 with $STOP_FAILURE set when
# one could not be stopped.
stop_dir=$(mktemp -d) || fail "could not create a temporary folder"
trap 'rm -rf -- "$stop_dir"' EXIT
stop_services() {
  local i wave last_wave=0 not_stopped=() stop_pids=() list
  for i in "${!names[@]}"; do (( waves[i] > last_wave )) && last_wave=${waves[i]}; done
  for (( wave = 0; wave <= last_wave; wave++ )); do
    for i in "${!names[@]}"; do
      [ "${waves[i]}" = "$wave" ] || continue
      ( t=$(now_ms); docker stop --time "${graces[i]}" "${containers[i]}" >/dev/null || exit 1; echo $(( $(now_ms) - t )) > "$stop_dir/$i" ) &
      stop_pids[i]=$!
    done
    # A wave ends before the next begins: what it stopped may still need the services of the next.
    for i in "${!names[@]}"; do
      [ "${waves[i]}" = "$wave" ] || continue
      wait "${stop_pids[i]}" || not_stopped+=("${names[i]}")
    done
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

# --- parameters ---
param COVERAGE_SPY_RUN_DIR; run_dir=$REPLY
param COVERAGE_SPY_TEST_WORKING_DIR; work_dir=$REPLY
uint_param COVERAGE_SPY_TEST_TIMEOUT; test_timeout=$REPLY
param COVERAGE_SPY_TEST_COMMAND
read_services

# --- readiness ---
mkdir -p "$run_dir/sources" || fail "could not create $run_dir/sources"
for i in "${!names[@]}"; do
  wait_ready "$i" || stop_and_fail "$NOT_READY"
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
# timeout exits 124 when it killed the suite, and so may the suite itself: only a suite that lasted its whole time
# was killed by it.
timed_out_after=""
if [ "$tests_rc" = 124 ] && [ "$test_timeout" -gt 0 ] && [ "$tests_ms" -ge $(( test_timeout * 1000 )) ]; then
  timed_out_after=$test_timeout
  log "warning: the test suite timed out after $test_timeout s (testTimeoutSeconds) and was killed:" \
    "the coverage is of the part that ran"
fi
log "test suite exited with $tests_rc after $tests_ms ms; stopping services gracefully"

# --- tests.json ---
# A JSON string of $1, escaped as JSON.stringify does (quote, backslash, control characters): the names come from
# the user's config, so none is trusted to be plain.
json_string() {
  local LC_ALL=C
  local s=$1 out="" ch code i
  for ((i = 0; i < ${#s}; i++)); do
    ch=${s:i:1}
    case $ch in
      '"') out+='\"' ;;
      \\) out+="\\\\" ;;
      $'\b') out+='\b' ;;
      $'\t') out+='\t' ;;
      $'\n') out+='\n' ;;
      $'\f') out+='\f' ;;
      $'\r') out+='\r' ;;
      *)
        printf -v code '%d' "'$ch"
        # Bytes of a multi-byte character may read as negative: they are kept as they are.
        if ((code >= 0 && code < 32)); then printf -v ch '\\u%04x' "$code"; fi
        out+=$ch
        ;;
    esac
  done
  printf '"%s"' "$out"
}

# The run's results: the suite's exit code, duration and time limit, each service's stop time and early exit.
# Every number was made by this script (or checked where it was read), so only the names need escaping.
tests_json() {
  local out i sep=""
  out="{\"exitCode\":$tests_rc,\"durationMs\":$tests_ms,\"stopMs\":{"
  for ((i = 0; i < ${#json_args[@]}; i += 2)); do
    out+="$sep$(json_string "${json_args[i]}"):${json_args[i + 1]}"
    sep=","
  done
  out+="},\"exitedEarly\":{"
  sep=""
  for ((i = 0; i < ${#exited_args[@]}; i += 3)); do
    out+="$sep$(json_string "${exited_args[i]}"):{\"exitCode\":${exited_args[i + 1]},\"oomKilled\":${exited_args[i + 2]}}"
    sep=","
  done
  out+="}"
  # Only when it timed out: the field's absence says the suite ended by itself.
  [ -z "$timed_out_after" ] || out+=",\"timedOutAfterSeconds\":$timed_out_after"
  printf '%s}\n' "$out"
}

# --- services that did not live through the suite ---
# A service that exited before the stop (crashed, OOM-killed) is reported as such, not as a quick graceful stop.
exited_args=()
for i in "${!names[@]}"; do
  state=$(docker inspect -f '{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}' "${containers[i]}" 2>/dev/null) || state="false -1 false"
  read -r running exit_code oom_killed <<<"$state"
  # Numbers and booleans go into tests.json as they are: anything else Docker said counts as unknown.
  [[ $exit_code =~ ^-?[0-9]+$ ]] || exit_code=-1
  [ "$oom_killed" = true ] || oom_killed=false
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
  json_args+=("${names[i]}" "$stop_ms")
  # Unmeasured services (a database, a broker) have no source to report.
  [ -n "${sources[i]}" ] || continue
  source=${sources[i]}
  while [[ "$source" == */ ]]; do source=${source%/}; done
  rm -rf -- "$run_dir/sources/${names[i]}"
  docker cp "${containers[i]}:$source/." "$run_dir/sources/${names[i]}" >/dev/null \
    || fail "could not copy ${sources[i]} out of service ${names[i]}"
done
tests_json > "$run_dir/tests.json" || fail "could not write $run_dir/tests.json"
if [ -n "${COVERAGE_SPY_RUN_TAR:-}" ]; then
  mkdir -p "$(dirname "$COVERAGE_SPY_RUN_TAR")" || fail "could not make the folder of $COVERAGE_SPY_RUN_TAR"
  tar -C "$run_dir" -cf "$COVERAGE_SPY_RUN_TAR" tests.json sources || fail "could not pack the run's results into $COVERAGE_SPY_RUN_TAR"
fi
cat "$run_dir/tests.json"
