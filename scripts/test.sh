#!/usr/bin/env bash
# The README's test command (`npm test`): type check, linters, unit tests (mocked engine), the Python asset and
# script helper tests, then the integration tests with a real `pulumi up`: on the Docker engine, then on the project's
# Kubernetes cluster.
#   --unit-only         skip the integration tests (quick local loop)
#   --integration-only  only the integration tests
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

results="$(mktemp -d)"
# The integration tests run in the background (see integration_tests): the pid of jest while it runs.
jest_pid=""
# A run stopped during the integration tests (a CI timeout's SIGTERM, Ctrl-C) ends jest, whose globalTeardown
# then never runs, and does what it would have: removes its stacks' Docker objects and stops the second engine
# it started (test/integration/teardown.ts). A SIGKILL skips this too: the next run's globalSetup does it then.
end_integration_tests() {
  [ -n "$jest_pid" ] || return 0
  kill -TERM -- "-$jest_pid" 2>/dev/null || true
  wait "$jest_pid" 2>/dev/null || true
  log "integration tests stopped: removing what they left (node bin/test/integration/teardown.js)"
  node bin/test/integration/teardown.js \
    || log "warning: cleaning up failed; the next integration test run removes what is left"
}
# Set when this run started the project's Kubernetes cluster, which it then deletes at the end (a cluster that was
# up before stays up: someone uses it).
k8s_started=false
end_cluster() {
  "$k8s_started" || return 0
  bash scripts/k8s-cluster.sh down || log "warning: the Kubernetes cluster is still up: bash scripts/k8s-cluster.sh down"
}
# The cluster's and its plugin's builds (cold: about 35 min of Go compiles; warm: seconds) run in the background
# beside the Docker tests, which do not need them, so that a fresh machine's run stays well within CI's time. The
# pid of that background job while it runs; the job's output goes to a log printed when it is waited for.
builds_pid=""
builds_log="$results/kubernetes-builds.log"
start_kubernetes_builds() {
  set -m
  { bash scripts/k8s-cluster.sh build && bash scripts/kubernetes-provider.sh; } >"$builds_log" 2>&1 &
  builds_pid=$!
  set +m
  log "the Kubernetes cluster's build, then its Pulumi plugin's: in the background (their log comes before their tests)"
}
wait_kubernetes_builds() {
  local rc=0
  wait "$builds_pid" || rc=$?
  builds_pid=""
  cat "$builds_log" >&2
  return "$rc"
}
end_kubernetes_builds() {
  [ -n "$builds_pid" ] || return 0
  kill -TERM -- "-$builds_pid" 2>/dev/null || true
  wait "$builds_pid" 2>/dev/null || true
}
trap 'end_integration_tests; end_kubernetes_builds; end_cluster; rm -rf "$results"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
passed=0
# Adds a jest run's counts (from its --json output) to the closing line.
count_jest() { passed=$((passed + $(json_field numPassedTests "$1"))); }

# A jest project's integration tests (integration: Docker; kubernetes: the project's cluster), in the background in
# its own process group, waited for: bash runs the traps above at once when it is stopped (not after a foreground
# command ends), and ends jest with every process it started.
integration_tests() {
  local project="$1" rc=0
  set -m
  node node_modules/jest/bin/jest.js --selectProjects "$project" --runInBand --json \
    --outputFile "$results/$project.json" &
  jest_pid=$!
  set +m
  wait "$jest_pid" || rc=$?
  jest_pid=""
  # The failures again, last: a CI log shows the end of a run, and these are far above it.
  if [ "$rc" != 0 ] && [ -s "$results/$project.json" ]; then
    log "the failed tests of $project (their full output is above):"
    node "$COVERAGE_SPY_HELPERS/json-query.js" failed-tests "$results/$project.json" | sed 's/^/  /' >&2 || true
  fi
  return "$rc"
}

mode=all
case "${1:-}" in
  "") ;;
  --unit-only) mode=unit ;;
  --integration-only) mode=integration ;;
  *) die "unknown option $1 (use --unit-only or --integration-only)" ;;
esac

[ -d node_modules/@pulumi/pulumi ] || step "npm ci" npm ci --no-audit --no-fund
COVERAGE_SPY_LIB="$(prepare_spy_lib)"
export COVERAGE_SPY_LIB
# pytest for the tests of the runner side's pytest plugin (coverage-spy/runner), and for the per-test suites.
COVERAGE_SPY_PYTEST_PYTHON="$(bash scripts/runner-venv.sh | tail -1)"
export COVERAGE_SPY_PYTEST_PYTHON

if [ "$mode" != integration ]; then
  step "type check" npx tsc -p tsconfig.json --noEmit
  step "lint" bash scripts/lint.sh
  step "unit tests" npx jest --selectProjects unit --json --outputFile "$results/unit.json"
  count_jest "$results/unit.json"
  step "asset tests" python3 -m unittest discover -s coverage-spy/tests -t coverage-spy 2>&1 | tee "$results/assets.log"
  passed=$((passed + $(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$results/assets.log")))
  step "script helper tests" python3 -m unittest discover -s scripts/helpers/tests -t scripts/helpers 2>&1 | tee "$results/helpers.log"
  passed=$((passed + $(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$results/helpers.log")))
fi
if [ "$mode" != unit ]; then
  step "engine, toolchain and images" bash scripts/setup.sh
  # shellcheck source=scripts/pulumi-env.sh
  source scripts/pulumi-env.sh
  step "build" npx tsc -p tsconfig.json
  # The integration tests' globalSetup need not do all this again.
  export COVERAGE_SPY_TEST_ENV=ready
  start_kubernetes_builds
  # setup.sh failed above unless every toolchain part is there: nothing here is skipped.
  step "integration tests (Docker)" integration_tests integration
  count_jest "$results/integration.json"
  # The plugin after the cluster's build, in one job: the two cold Go builds never share the memory and the cores.
  step "kubernetes cluster and plugin builds" wait_kubernetes_builds
  # The Kubernetes engine's tests run on the project's own kind cluster, started only now that it is built: the
  # Docker tests ran without its nodes beside them (idle, about 0.9 GiB and a tenth of a core; more while they start).
  if ! bash scripts/k8s-cluster.sh status >/dev/null 2>&1; then
    k8s_started=true
  fi
  step "kubernetes cluster" bash scripts/k8s-cluster.sh up
  step "integration tests (Kubernetes)" integration_tests kubernetes
  count_jest "$results/kubernetes.json"
  end_cluster
  k8s_started=false
fi
# Every step above stops the script on a failure, so reaching here means none failed.
echo "coverage-spy: $passed passed, 0 failed"
