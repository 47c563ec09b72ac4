import { shellQuote } from "../shell";

/** What the test-run script needs to know about one instrumented service. */
export interface ScriptService {
    name: string;
    containerName: string;
    /** Container path of the source, copied out after the stop so reports use exactly what ran. */
    sourcePath: string;
    /** Env var holding the service URL (only for services with a port). */
    urlEnvName?: string;
    readinessPath: string;
    readinessTimeoutSeconds: number;
    hasHealthcheck: boolean;
    stopGraceSeconds: number;
}

export interface TestRunScriptInput {
    services: ScriptService[];
    /** Host folder of this run's results. */
    runDir: string;
    testWorkingDir: string;
    testTimeoutSeconds: number;
}

/** Name of the variable that carries the user's test command, so it needs no quoting in the script. */
export const TEST_COMMAND_ENV = "COVERAGE_SPY_TEST_COMMAND";

/** Shell helpers: logging, readiness probes and a millisecond clock. Plain bash, nothing to install. */
const PRELUDE = String.raw`set -uo pipefail
log() { printf '[coverage-spy] %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
container_running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = "true" ]; }
show_logs() { log "last lines of $1:"; docker logs --tail 40 "$1" >&2 2>&1 || true; }
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
# wait_ready NAME CONTAINER URL PATH TIMEOUT HEALTHCHECK(0|1)
wait_ready() {
  local name="$1" container="$2" url="$3" path="$4" timeout="$5" health="$6" start
  start=$(now_ms)
  while :; do
    container_running "$container" || { show_logs "$container"; fail "service $name stopped before it was ready"; }
    if [ "$health" = 1 ]; then
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$container" 2>/dev/null)" = "healthy" ] && break
    elif [ -n "$url" ]; then
      http_ok "$(echo "$url" | cut -d: -f3)" "$path" && break
    else
      break
    fi
    if [ $(( $(now_ms) - start )) -ge $(( timeout * 1000 )) ]; then
      show_logs "$container"
      probe="container running"; [ -n "$url" ] && probe="GET $url$path"; [ "$health" = 1 ] && probe="healthcheck"
      fail "service $name was not ready within $timeout s (probe: $probe)"
    fi
    sleep 0.2
  done
  log "service $name ready in $(( $(now_ms) - start )) ms"
}
`;

/**
 * The test run, as one bash script: wait for every service, run the tests, stop the services
 * gracefully (in parallel, timed) so each process saves its data, and copy out the measured source.
 * A failing test suite does not fail the script: the coverage of a red run is still wanted.
 */
export function testRunScript(input: TestRunScriptInput): string {
    const q = shellQuote;
    const lines: string[] = [PRELUDE, `run_dir=${q(input.runDir)}`, `mkdir -p "$run_dir/sources"`];
    for (const s of input.services) {
        const url = s.urlEnvName ? `"\${${s.urlEnvName}}"` : `""`;
        lines.push(`wait_ready ${q(s.name)} ${q(s.containerName)} ${url} ${q(s.readinessPath)} ${s.readinessTimeoutSeconds} ${s.hasHealthcheck ? 1 : 0}`);
    }
    lines.push(
        `log "running the test suite: $${TEST_COMMAND_ENV}"`,
        `tests_started=$(now_ms)`,
        `( cd ${q(input.testWorkingDir)} && exec timeout --kill-after=10 ${input.testTimeoutSeconds} bash -c "$${TEST_COMMAND_ENV}" ) 2>&1 | tee "$run_dir/tests.log" >&2`,
        `tests_rc=\${PIPESTATUS[0]}`,
        `tests_ms=$(( $(now_ms) - tests_started ))`,
        `[ "$tests_rc" = 124 ] && log "the test suite was killed after ${input.testTimeoutSeconds} s"`,
        `log "test suite exited with $tests_rc after $tests_ms ms; stopping services gracefully"`,
        `stop_dir=$(mktemp -d)`,
    );
    for (const s of input.services) {
        lines.push(`( t=$(now_ms); docker stop --time ${s.stopGraceSeconds} ${q(s.containerName)} >/dev/null || exit 1; echo $(( $(now_ms) - t )) > "$stop_dir/"${q(s.name)} ) &`);
    }
    lines.push(`wait || fail "a service could not be stopped"`);
    const stopEntries: string[] = [];
    const stopArgs: string[] = [];
    for (const s of input.services) {
        lines.push(`stop_ms_${safeVar(s.name)}=$(cat "$stop_dir/"${q(s.name)})`);
        lines.push(`log "service ${s.name} stopped in $stop_ms_${safeVar(s.name)} ms"`);
        lines.push(`rm -rf "$run_dir/sources/"${q(s.name)}`);
        const source = `${s.containerName}:${s.sourcePath.replace(/\/+$/, "")}/.`;
        lines.push(`docker cp ${q(source)} "$run_dir/sources/"${q(s.name)} >/dev/null || fail "could not copy ${s.sourcePath} out of service ${s.name}"`);
        stopEntries.push(`"${s.name}":%d`);
        stopArgs.push(`"$stop_ms_${safeVar(s.name)}"`);
    }
    lines.push(
        `rm -rf "$stop_dir"`,
        `printf '{"exitCode":%d,"durationMs":%d,"stopMs":{${stopEntries.join(",")}}}\\n' "$tests_rc" "$tests_ms" ${stopArgs.join(" ")} > "$run_dir/tests.json"`,
        `cat "$run_dir/tests.json"`,
    );
    return lines.join("\n") + "\n";
}

function safeVar(name: string): string {
    return name.replace(/[^A-Za-z0-9_]/g, "_");
}
