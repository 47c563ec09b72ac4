#!/usr/bin/env bash
# Brings a run's reports back from a remote engine: its harvester wrote them into its own filesystem, which this
# machine cannot see, so they are copied out of the stopped container (components/engine/reportCopy.ts).
#   COVERAGE_SPY_HARVESTER       the harvester container
#   COVERAGE_SPY_FROM            the run's report folder inside it
#   COVERAGE_SPY_TO              the run's report folder on this machine
#   COVERAGE_SPY_HARVEST_EXIT    the harvester's exit code: when it failed, a missing folder is not this step's
#                                error (the update fails naming the harvester's own)
# DOCKER_HOST and friends name the engine. Needs bash and docker.
set -uo pipefail
# shellcheck source=coverage-spy/service-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/service-lib.sh"

param COVERAGE_SPY_HARVESTER; harvester=$REPLY
param COVERAGE_SPY_FROM; from=$REPLY
param COVERAGE_SPY_TO; to=$REPLY
param COVERAGE_SPY_HARVEST_EXIT; harvest_exit=$REPLY

mkdir -p "$to" || fail "could not create $to"
started=$(now_ms)
if ! docker cp "$harvester:$from/." "$to"; then
  [ "$harvest_exit" = 0 ] || { log "no reports to copy: the harvester failed (exit code $harvest_exit)"; exit 0; }
  fail "could not copy the reports out of $harvester ($from) into $to"
fi
log "reports copied from the engine in $(( $(now_ms) - started )) ms"
