#!/usr/bin/env bash
# coverage-spy readiness wait: waits until the one service its parameters describe is ready, so the services that
# depend on it start only then (components/service/readinessWait.ts runs it, before their containers are made).
# Parameters: COVERAGE_SPY_SERVICE_COUNT=1 and service 0's, as coverage-spy/service-lib.sh documents them.
# A service that is not ready in time is stopped gracefully and the wait fails, naming the cause.
set -uo pipefail
# shellcheck source=coverage-spy/service-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/service-lib.sh"

read_services
[ "${#names[@]}" = 1 ] || fail "COVERAGE_SPY_SERVICE_COUNT must be 1, got ${#names[@]}"
if ! wait_ready 0; then
  docker stop --time "${graces[0]}" "${containers[0]}" >/dev/null 2>&1 || log "could not stop ${containers[0]}"
  fail "$NOT_READY"
fi
