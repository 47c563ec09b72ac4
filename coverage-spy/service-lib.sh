# shellcheck shell=bash
# Shared by coverage-spy/test-run.sh and coverage-spy/wait-ready.sh (sourced, never run): logging, the service
# parameters from the environment, and the readiness probes. Needs bash, docker and coreutils.
#
# Per service i (COVERAGE_SPY_SERVICE_COUNT of them), from components/testRun/testRunScript.ts:
#   COVERAGE_SPY_SERVICE_<i>_NAME               service name, also its folder under sources/
#   COVERAGE_SPY_SERVICE_<i>_CONTAINER          container name
#   COVERAGE_SPY_SERVICE_<i>_SOURCE_PATH        absolute path of the source inside the container; empty when the
#                                               service is not measured
#   COVERAGE_SPY_SERVICE_<i>_URL_ENV            name of the variable holding the service's URL
#                                               (e.g. COVERAGE_SPY_API_URL); empty when it has no port
#   COVERAGE_SPY_SERVICE_<i>_READINESS_PATH     path the HTTP readiness probe GETs
#   COVERAGE_SPY_SERVICE_<i>_READINESS_TIMEOUT  seconds to wait until the service is ready
#   COVERAGE_SPY_SERVICE_<i>_READINESS_TCP_PORT container port probed with a TCP connection on the service's
#                                               network (on a remote engine: its published port on
#                                               COVERAGE_SPY_REMOTE_HOST); empty for none
#   COVERAGE_SPY_SERVICE_<i>_HEALTHCHECK        1: wait for the Docker healthcheck; 0: the TCP port, else GET the
#                                               URL, if any, else the container running
#   COVERAGE_SPY_SERVICE_<i>_STOP_GRACE         seconds `docker stop` waits before it kills the service
#   COVERAGE_SPY_SERVICE_<i>_STOP_WAVE          services stop wave by wave, 0 first (one before those it needs)
# and the variable each _URL_ENV names.

# The arrays read_services fills and NOT_READY are for the scripts that source this file:
# shellcheck disable=SC2034

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

# http_probe HOST PORT PATH: GETs PATH and prints what came back ("HTTP 401", "no connection to HOST:PORT", ...).
# Succeeds on any HTTP status below 500: the app is serving (a 401 without a login, a 404 on an unknown path are
# its answers), while a 5xx may come from a proxy in front of an app that is not up yet.
# In a subshell that ignores SIGPIPE: Docker's port proxy accepts and then drops connections until the app listens,
# and a write to a dropped socket must fail the probe, not kill the script.
http_probe() (
  trap '' PIPE
  host="$1" port="$2" path="$3" status=""
  # Grouped, so bash's own "connect: Connection refused" goes where the error output is sent: nowhere.
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || { echo "no connection to $host:$port"; exit 1; }
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3 2>/dev/null \
    || { echo "the connection was dropped"; exit 1; }
  IFS=' ' read -r -t 5 _ status _ <&3
  read_rc=$?
  status=${status%$'\r'}
  if ! [[ "$status" =~ ^[1-5][0-9][0-9]$ ]]; then
    # read's status is above 128 when its time ran out.
    if [ "$read_rc" -gt 128 ]; then echo "no HTTP answer within 5 s"
    else echo "the connection closed without an HTTP answer"
    fi
    exit 1
  fi
  echo "HTTP $status"
  [ "$status" -lt 500 ]
)

# tcp_probe CONTAINER PORT: the container accepts a TCP connection on PORT at its address on its network; on a
# remote engine (COVERAGE_SPY_REMOTE_HOST set), whose networks this machine cannot reach, on the host port Docker
# published for PORT at that address. Prints what it found when it fails.
tcp_probe() (
  if [ -n "${COVERAGE_SPY_REMOTE_HOST:-}" ]; then
    address=$COVERAGE_SPY_REMOTE_HOST
    port=$(docker port "$1" "$2/tcp" 2>/dev/null | head -n 1)
    port=${port##*:}
    [ -n "$port" ] || { echo "Docker published no host port for container port $2"; exit 1; }
  else
    address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" 2>/dev/null)
    address=${address%% *}
    port=$2
    [ -n "$address" ] || { echo "the container has no address on its network"; exit 1; }
  fi
  { exec 3<>"/dev/tcp/$address/$port"; } 2>/dev/null || { echo "no connection to $address:$port"; exit 1; }
)

# health_probe CONTAINER: its Docker healthcheck says "healthy"; prints the status it says otherwise.
health_probe() {
  local status
  status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null)
  [ "$status" = healthy ] && return 0
  echo "health status '${status:-none}'"
  return 1
}

# container_exit CONTAINER: prints how a container that is not running ended ("exit code 3", with
# ", killed for lack of memory (OOM)" when it was); fails while it runs.
container_exit() {
  local state running exit_code oom_killed
  state=$(docker inspect -f '{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}' "$1" 2>/dev/null) \
    || { echo "the container no longer exists"; return 0; }
  read -r running exit_code oom_killed <<<"$state"
  [ "$running" = true ] && return 1
  printf 'exit code %s%s\n' "$exit_code" "$([ "$oom_killed" = true ] && echo ", killed for lack of memory (OOM)")"
}

# read_services: the parameters of every service, into the arrays names, containers, sources, urls,
# readiness_paths, readiness_timeouts, tcp_ports, healthchecks, graces and waves.
read_services() {
  local i p url_env count
  uint_param COVERAGE_SPY_SERVICE_COUNT; count=$REPLY
  names=() containers=() sources=() urls=() readiness_paths=() readiness_timeouts=() tcp_ports=() healthchecks=()
  graces=() waves=()
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
    param "${p}READINESS_TCP_PORT"; tcp_ports[i]=$REPLY
    [[ "$REPLY" =~ ^([1-9][0-9]*)?$ ]] || fail "${p}READINESS_TCP_PORT must be a port number or empty, got '$REPLY'"
    param "${p}HEALTHCHECK"; healthchecks[i]=$REPLY
    [[ "$REPLY" =~ ^[01]$ ]] || fail "${p}HEALTHCHECK must be 0 or 1, got '$REPLY'"
    uint_param "${p}STOP_GRACE"; graces[i]=$REPLY
    uint_param "${p}STOP_WAVE"; waves[i]=$REPLY
  done
}

# wait_ready I: waits until service I is ready (its healthcheck healthy, else its TCP port open, else its URL
# answering, else its container running). Returns 1 with NOT_READY set to the cause when it stops first or
# the time runs out; its last log lines are shown then.
wait_ready() {
  local i="$1" start host port last="" ended url="${urls[$1]}"
  # http://HOST:PORT: 127.0.0.1 on a local engine, the remote engine's address otherwise (serviceHost).
  host=${url#*://}
  host=${host%%:*}
  port=${url##*:}
  port=${port%%/*}
  start=$(now_ms)
  while :; do
    if ! container_running "${containers[i]}"; then
      ended=$(container_exit "${containers[i]}") || ended="it was not running"
      show_logs "${containers[i]}"
      NOT_READY="service ${names[i]} stopped before it was ready ($ended; its last log lines are above):"
      NOT_READY+=" check its command, entrypoint and env"
      return 1
    fi
    if [ "${healthchecks[i]}" = 1 ]; then
      last=$(health_probe "${containers[i]}") && break
    elif [ -n "${tcp_ports[i]}" ]; then
      last=$(tcp_probe "${containers[i]}" "${tcp_ports[i]}") && break
    elif [ -n "$url" ]; then
      last=$(http_probe "$host" "$port" "${readiness_paths[i]}") && break
    else
      break
    fi
    if [ $(( $(now_ms) - start )) -ge $(( readiness_timeouts[i] * 1000 )) ]; then
      show_logs "${containers[i]}"
      NOT_READY="service ${names[i]} was not ready within ${readiness_timeouts[i]} s"
      NOT_READY+=" ($(probe_description "$i"); last: $last): $(readiness_fix "$i")"
      return 1
    fi
    sleep 0.2
  done
  log "service ${names[i]} ready in $(( $(now_ms) - start )) ms"
}

# probe_description I: how service I's readiness is probed, as the failure names it.
probe_description() {
  local i="$1"
  if [ "${healthchecks[i]}" = 1 ]; then echo "probe: healthcheck"
  elif [ -n "${tcp_ports[i]}" ]; then echo "probe: TCP port ${tcp_ports[i]}"
  else echo "probe: GET ${urls[i]}${readiness_paths[i]}"
  fi
}

# readiness_fix I: the options that make service I's probe pass, for the failure to name.
readiness_fix() {
  local i="$1"
  if [ "${healthchecks[i]}" = 1 ]; then
    echo "fix its healthcheck (it must exit 0 once the service serves) or give a longer readinessTimeoutSeconds"
  elif [ -n "${tcp_ports[i]}" ]; then
    echo "set readinessTcpPort to a port the service listens on, or give a longer readinessTimeoutSeconds"
  else
    echo "any HTTP status below 500 counts as ready: set readinessPath to a path that answers," \
      "readinessTcpPort to wait for a port instead, or a longer readinessTimeoutSeconds"
  fi
}
