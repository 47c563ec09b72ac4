#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, and that `docker run --init` works.
#
# - If `docker info` already answers (a user's machine, Docker Desktop, a running dockerd), nothing is changed,
#   apart from the --init check, which only reports.
# - Otherwise (a fresh Debian machine with at most the docker client): installs Debian's docker.io if dockerd is
#   missing, starts dockerd in the background (log: $COVERAGE_SPY_CACHE/dockerd.log) and waits until it answers.
# - Checks that `docker run --init` works (the product relies on `init: true` containers); when it does not and we
#   started the engine ourselves, installs Debian's tini and points dockerd's init path at it.
#
# Idempotent: a second run with the engine up only checks. The engine is left running.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD_LOG="$COVERAGE_SPY_CACHE/dockerd.log"
DOCKERD_PIDFILE="$COVERAGE_SPY_CACHE/dockerd.pid"
DOCKERD_START_TIMEOUT="${COVERAGE_SPY_DOCKERD_TIMEOUT:-60}"
DAEMON_JSON=/etc/docker/daemon.json
PROBE_IMAGE=coverage-spy/init-probe:latest

docker_answers() { timeout 20 docker info >/dev/null 2>&1; }

find_dockerd() {
  # /usr/local/bin/docker may be a client only; look for the daemon itself.
  command -v dockerd 2>/dev/null || { [[ -x /usr/sbin/dockerd ]] && echo /usr/sbin/dockerd; } || true
}

start_dockerd() {
  local dockerd="$1"
  mkdir -p "$COVERAGE_SPY_CACHE"
  log "starting $dockerd in the background (log: $DOCKERD_LOG)"
  # setsid + nohup: the daemon must outlive this script and the shell that ran it.
  {
    printf '\n===== %s: %s\n' "$(date -Is)" "$dockerd"
  } >>"$DOCKERD_LOG"
  PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH" setsid nohup "$dockerd" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  echo $! >"$DOCKERD_PIDFILE"
  local pid started=$SECONDS
  pid=$(cat "$DOCKERD_PIDFILE")
  until docker_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd (pid $pid) exited during startup: see $DOCKERD_LOG"
    fi
    if ((SECONDS - started >= DOCKERD_START_TIMEOUT)); then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd (pid $pid) did not answer 'docker info' within ${DOCKERD_START_TIMEOUT} s: see $DOCKERD_LOG"
    fi
    sleep 0.5
  done
  log "dockerd (pid $pid) answers after $((SECONDS - started)) s"
}

stop_our_dockerd() {
  local pid
  pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null) || return 0
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  log "restarting the dockerd we started (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  die "dockerd (pid $pid) did not stop within 30 s"
}

# A one-file image holding a static binary (tini-static or busybox), so --init can be tried without any registry
# and before the base images exist.
ensure_probe_image() {
  image_exists "$PROBE_IMAGE" && return 0
  local bin
  for bin in /usr/bin/tini-static /bin/busybox /usr/bin/busybox; do
    [[ -x $bin ]] && file_is_static "$bin" && break
    bin=
  done
  [[ -n $bin ]] || return 1
  local dir
  dir=$(mktemp -d)
  cp "$bin" "$dir/probe"
  tar -C "$dir" -c probe | docker import --change 'CMD ["/probe", "--version"]' - "$PROBE_IMAGE" >/dev/null
  rm -rf "$dir"
}

file_is_static() {
  # ldd (libc-bin, always there on Debian) says "not a dynamic executable" and fails for static binaries.
  ! ldd "$1" >/dev/null 2>&1
}

init_works() {
  # Any local image will do: prefer our probe; fall back to a base image if the probe cannot be made.
  local image=""
  if ensure_probe_image; then
    image=$PROBE_IMAGE
    docker run --rm --init "$image" >/dev/null 2>&1 || return 1
    return 0
  fi
  for image in coverage-spy/base:trixie coverage-spy/base:bookworm; do
    if image_exists "$image"; then
      docker run --rm --init "$image" true >/dev/null 2>&1 || return 1
      return 0
    fi
  done
  log "no local image to try 'docker run --init' with (install tini to get a static probe binary)"
  return 2
}

set_init_path() {
  local init_bin="$1"
  python3 "$COVERAGE_SPY_HELPERS/daemon_json.py" "$DAEMON_JSON" init-path "$init_bin"
  log "set init-path=$init_bin in $DAEMON_JSON"
}

main() {
  local we_started=0
  if docker_answers; then
    log "docker engine already answers: using it as it is"
  else
    local dockerd
    dockerd=$(find_dockerd)
    if [[ -z $dockerd ]]; then
      log "no dockerd on this machine: installing Debian's docker.io"
      apt_install docker.io
      dockerd=$(find_dockerd)
      [[ -n $dockerd ]] || die "docker.io installed but no dockerd found"
    fi
    command -v docker >/dev/null || die "dockerd is at $dockerd but there is no docker client on PATH"
    # A daemon may be up but still starting (another script started it a moment ago): give it a little time.
    if [[ -S /var/run/docker.sock ]] && pgrep -x dockerd >/dev/null 2>&1; then
      log "a dockerd is already running but does not answer yet: waiting for it"
      local t=$SECONDS
      until docker_answers; do
        ((SECONDS - t < DOCKERD_START_TIMEOUT)) || die "a dockerd is running (pid $(pgrep -x dockerd | tr '\n' ' ')) but 'docker info' does not answer within ${DOCKERD_START_TIMEOUT} s; see $DOCKERD_LOG or that daemon's own log"
        sleep 0.5
      done
    else
      step "dockerd start" start_dockerd "$dockerd"
      we_started=1
    fi
  fi

  # The --init probe runs a container: once per engine (its id, version and init binary), not on every run.
  local engine_key init_stamp="$COVERAGE_SPY_CACHE/init-works"
  engine_key=$(docker info --format '{{.ID}} {{.ServerVersion}} {{.InitBinary}}' 2>/dev/null || true)
  if [[ -n $engine_key && -f $init_stamp && $(<"$init_stamp") == "$engine_key" ]]; then
    log "docker run --init works (checked before on this engine)"
    return 0
  fi
  local rc=0
  init_works || rc=$?
  if [[ $rc == 0 ]]; then
    log "docker run --init works"
    mkdir -p "$COVERAGE_SPY_CACHE" && printf '%s' "$engine_key" >"$init_stamp"
    return 0
  fi
  if [[ $rc == 2 ]] && [[ ! -x /usr/bin/tini-static ]] && [[ $(id -u) == 0 ]]; then
    # Nothing to probe with: tini ships tini-static, which doubles as the probe binary.
    apt_install tini
    rc=0; init_works || rc=$?
    [[ $rc == 0 ]] && { log "docker run --init works"; return 0; }
  fi

  # --init is broken or unknown. Fix it only on an engine we run ourselves: a user's engine is left alone.
  local ours=0
  [[ $we_started == 1 ]] && ours=1
  if [[ -f $DOCKERD_PIDFILE ]] && kill -0 "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null; then ours=1; fi
  if [[ $ours == 0 ]]; then
    die "'docker run --init' does not work on this docker engine (not one this script started, so it is left alone): install tini/docker-init for it, or set \"init-path\" in its daemon.json"
  fi
  [[ -x /usr/bin/tini-static || -x /usr/bin/tini ]] || apt_install tini
  local init_bin=/usr/bin/tini-static
  [[ -x $init_bin ]] || init_bin=/usr/bin/tini
  set_init_path "$init_bin"
  stop_our_dockerd
  step "dockerd restart" start_dockerd "$(find_dockerd)"
  rc=0; init_works || rc=$?
  [[ $rc == 0 ]] || die "'docker run --init' still fails with init-path=$init_bin: try 'docker run --rm --init $PROBE_IMAGE' by hand and see $DOCKERD_LOG"
  log "docker run --init works"
}

main "$@"
