#!/usr/bin/env bash
# A second, independent Docker engine for the "remote engine" integration tests: dockerd inside a privileged
# container (images/second-engine), with its own data root and filesystem, so it cannot see the host's folders.
#
# Usage: scripts/second-engine.sh start | load IMAGE... | env | stop | remove
#   start          builds coverage-spy/second-engine:latest when missing or changed (content-hash label), creates
#                  the network coverage-spy-engines, starts the container coverage-spy-second-engine (or reuses it
#                  when it runs already), waits for its API and checks `docker run --rm --init` on it
#   load IMAGE...  copies images from the host engine into the second one (docker save | docker -H ... load),
#                  skipping those whose ID is the same on both
#   env            prints DOCKER_HOST=tcp://127.0.0.1:PORT and COVERAGE_SPY_SECOND_ENGINE_ADDRESS=<container IP on
#                  coverage-spy-engines>: the host reaches the ports published by the engine's containers there
#   stop           removes the engine's containers, then the container; its volume coverage-spy-second-engine-data
#                  (loaded images, and the engine's own volumes and networks) stays
#   remove         removes the container, the volume and the network
#   COVERAGE_SPY_SECOND_ENGINE_PORT=23750    the host port (on 127.0.0.1) of the engine's API
#   COVERAGE_SPY_SECOND_ENGINE_TIMEOUT=60    seconds start waits for the engine to answer
# The API has no TLS and no authentication: it is published on 127.0.0.1 only. Logs and timings go to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE=coverage-spy/second-engine:latest
IMAGE_DIR="$REPO_ROOT/images/second-engine"
BASE_IMAGE=coverage-spy/base:trixie
CONTAINER=coverage-spy-second-engine
VOLUME=coverage-spy-second-engine-data
NETWORK=coverage-spy-engines
PORT="${COVERAGE_SPY_SECOND_ENGINE_PORT:-23750}"
START_TIMEOUT="${COVERAGE_SPY_SECOND_ENGINE_TIMEOUT:-60}"
PORT_LABEL=coverage-spy.second-engine.port
PROBE_IMAGE=coverage-spy/init-probe:latest
INIT_STAMP="$COVERAGE_SPY_CACHE/second-engine-init-works"

[[ $PORT =~ ^[0-9]+$ ]] || die "COVERAGE_SPY_SECOND_ENGINE_PORT must be a port number, not '$PORT'"

# After `eval "$(scripts/second-engine.sh env)"` DOCKER_HOST names the second engine (whose name is second-engine,
# the container's hostname): the host engine is the default one then.
if [[ ${DOCKER_HOST:-} == tcp://127.0.0.1:* ]]; then
  if [[ $DOCKER_HOST == "tcp://127.0.0.1:$PORT" ]] \
    || [[ $(timeout 5 docker info --format '{{.Name}}' 2>/dev/null || true) == second-engine ]]; then
    unset DOCKER_HOST
  fi
fi

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
since() { local ms=$(($(now_ms) - $1)); printf '%d.%02d s' $((ms / 1000)) $((ms % 1000 / 10)); }

# The docker client talking to the second engine at ENGINE_URL (plain TCP, whatever TLS settings the environment has).
SECOND_DOCKER=(env -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_CONTEXT docker)
second() { "${SECOND_DOCKER[@]}" -H "$ENGINE_URL" "$@"; }
ENGINE_URL="tcp://127.0.0.1:$PORT"

wanted_hash() {
  local base_id
  base_id=$(image_id "$BASE_IMAGE") || die "$BASE_IMAGE is missing: run scripts/base-images.sh trixie"
  content_hash "$IMAGE_DIR" "base=$BASE_IMAGE@$base_id"
}

build_image() {
  local hash="$1" log="$COVERAGE_SPY_CACHE/second-engine-build.log"
  mkdir -p "$COVERAGE_SPY_CACHE"
  if ! docker build --build-arg BASE_IMAGE="$BASE_IMAGE" --label "$HASH_LABEL=$hash" \
    --label coverage-spy.image=second-engine -t "$IMAGE" "$IMAGE_DIR" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "docker build $IMAGE failed: full log in $log"
  fi
  # The previous build, now untagged (only images with our label are touched).
  docker image prune -f --filter label=coverage-spy.image=second-engine >/dev/null 2>&1 || true
}

# "running content-hash port" of the container, or nothing when there is none.
container_state() {
  local format="{{.State.Running}} {{index .Config.Labels \"$HASH_LABEL\"}} {{index .Config.Labels \"$PORT_LABEL\"}}"
  docker container inspect -f "$format" "$CONTAINER" 2>/dev/null || true
}

container_address() {
  local format="{{with index .NetworkSettings.Networks \"$NETWORK\"}}{{.IPAddress}}{{end}}"
  docker container inspect -f "$format" "$CONTAINER" 2>/dev/null || true
}

# The engine's URL from the running container's published port (it may differ from PORT's current value).
use_running_engine() {
  local state port
  read -r state _ port <<<"$(container_state)" || true
  [[ ${state:-} == true ]] || die "$CONTAINER is not running: run scripts/second-engine.sh start"
  [[ -n ${port:-} ]] && ENGINE_URL="tcp://127.0.0.1:$port"
  return 0
}

engine_answers() {
  timeout 10 "${SECOND_DOCKER[@]}" -H "$ENGINE_URL" info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null
}

fail_with_logs() {
  log "last lines of 'docker logs $CONTAINER':"
  docker logs --tail 40 "$CONTAINER" 2>&1 | sed 's/^/[coverage-spy]   /' >&2 || true
  die "$*"
}

wait_for_engine() {
  local started info running
  started=$(now_ms)
  until info=$(engine_answers); do
    running=$(docker container inspect -f '{{.State.Running}}' "$CONTAINER" 2>/dev/null || echo false)
    [[ $running == true ]] || fail_with_logs "$CONTAINER exited while its dockerd was starting"
    if (($(now_ms) - started >= START_TIMEOUT * 1000)); then
      fail_with_logs "the second engine did not answer 'docker -H $ENGINE_URL info' within $START_TIMEOUT s"
    fi
    sleep 0.2
  done
  log "second engine answers on $ENGINE_URL after $(since "$started"): dockerd $info"
  [[ $info == *" overlay2" ]] || log "warning: storage driver is not overlay2 ($info): loads and runs will be slow"
}

# docker run --rm --init on the second engine, with a probe image made there from its own tini-static (no load).
check_init() {
  local key
  key="$(docker container inspect -f '{{.Id}}' "$CONTAINER") $(second info --format '{{.ID}}')"
  if [[ -f $INIT_STAMP && $(<"$INIT_STAMP") == "$key" ]]; then
    return 0
  fi
  if ! second image inspect "$PROBE_IMAGE" >/dev/null 2>&1; then
    docker exec "$CONTAINER" tar -C /usr/bin -c tini-static \
      | second import --change 'CMD ["/tini-static", "--version"]' - "$PROBE_IMAGE" >/dev/null
  fi
  local out
  out=$(second run --rm --init --network none "$PROBE_IMAGE" 2>&1) \
    || fail_with_logs "'docker run --rm --init' fails on the second engine: $out"
  log "docker run --rm --init works on the second engine ($out)"
  mkdir -p "$COVERAGE_SPY_CACHE" && printf '%s' "$key" >"$INIT_STAMP"
}

# Capability names by number (linux/capability.h), to name those this machine's engine cannot grant.
CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
  NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE
  SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL
  SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)

# The capabilities missing from the bounding set of the local dockerd (or of this shell when it cannot be read).
missing_caps() {
  local pid status=/proc/self/status bnd last i
  pid=$(pgrep -o -x dockerd 2>/dev/null || true)
  [[ -n $pid && -r /proc/$pid/status ]] && status=/proc/$pid/status
  bnd=$(awk '/^CapBnd:/ {print $2}' "$status")
  last=$(</proc/sys/kernel/cap_last_cap)
  for ((i = 0; i <= last && i < ${#CAP_NAMES[@]}; i++)); do
    (((0x$bnd >> i) & 1)) || echo "${CAP_NAMES[i]}"
  done
}

# The container, --privileged. Some engines cannot grant every capability (a sandbox whose own bounding set lacks
# one: runc fails with "unable to apply caps"); there it gets what privileged gives otherwise: every capability the
# engine has, no seccomp / AppArmor / masked paths, all devices allowed (cgroup rule), and its entrypoint makes /sys
# and the cgroup hierarchies writable. Which way works is remembered per host engine
# ($COVERAGE_SPY_CACHE/second-engine-mode).
run_container() {
  local mode_file="$COVERAGE_SPY_CACHE/second-engine-mode" engine mode="" saved_engine="" saved_mode="" out cap
  engine=$(docker info --format '{{.ID}}' 2>/dev/null || true)
  if [[ -f $mode_file ]]; then read -r saved_engine saved_mode <"$mode_file" || true; fi
  if [[ -n $engine && $saved_engine == "$engine" ]]; then mode=$saved_mode; fi
  # --cgroupns=private: inner containers' cgroups nest under this container's (and cgroup v2 nesting can work).
  local common=(--name "$CONTAINER" --hostname second-engine --cgroupns=private --network "$NETWORK"
    -v "$VOLUME:/var/lib/docker" -p "127.0.0.1:$PORT:2375" --label "$PORT_LABEL=$PORT")
  if [[ $mode != capabilities ]]; then
    if out=$(docker run -d --privileged "${common[@]}" "$IMAGE" 2>&1); then
      printf '%s privileged\n' "$engine" >"$mode_file"
      return 0
    fi
    docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
    [[ $out == *"apply caps"* ]] || die "docker run $CONTAINER failed: $out"
    log "--privileged fails on this engine: $(grep -o -m 1 'unable to apply caps[^:]*: [^:]*' <<<"$out")"
  fi
  local drops=()
  while read -r cap; do drops+=(--cap-drop "$cap"); done < <(missing_caps)
  log "running $CONTAINER with every capability but: ${drops[*]:-none}"
  docker run -d --cap-add ALL "${drops[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' "${common[@]}" "$IMAGE" >/dev/null
  printf '%s capabilities\n' "$engine" >"$mode_file"
}

lock() {
  mkdir -p "$COVERAGE_SPY_CACHE"
  exec 9>"$COVERAGE_SPY_CACHE/second-engine.lock"
  flock -w 600 9 || die "another scripts/second-engine.sh holds $COVERAGE_SPY_CACHE/second-engine.lock"
}

cmd_start() {
  lock
  local started hash state label_hash label_port
  started=$(now_ms)
  hash=$(wanted_hash)
  read -r state label_hash label_port <<<"$(container_state)" || true
  if [[ ${state:-} == true && ${label_hash:-} == "$hash" && ${label_port:-} == "$PORT" ]] \
    && engine_answers >/dev/null; then
    check_init
    log "$CONTAINER is running already (image $hash, $ENGINE_URL): reused in $(since "$started")"
    return 0
  fi
  if [[ $(image_hash "$IMAGE") != "$hash" ]]; then
    step "docker build $IMAGE (content hash $hash)" build_image "$hash"
  fi
  if [[ -n ${state:-} ]]; then
    log "replacing $CONTAINER (running=$state image=${label_hash:-?} port=${label_port:-?}; wanted $hash, port $PORT)"
    remove_container
  fi
  docker network inspect "$NETWORK" >/dev/null 2>&1 || docker network create "$NETWORK" >/dev/null
  run_container
  wait_for_engine
  check_init
  log "$CONTAINER started in $(since "$started"): $ENGINE_URL, containers' ports at $(container_address)"
}

cmd_load() {
  (($#)) || die "usage: scripts/second-engine.sh load IMAGE..."
  lock
  use_running_engine
  local all_started image id there size started
  all_started=$(now_ms)
  for image in "$@"; do
    id=$(image_id "$image") || die "$image is not in the host engine"
    there=$(second image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    if [[ $there == "$id" ]]; then
      log "$image: skipped (same ID ${id:7:12} on both engines)"
      continue
    fi
    if second image inspect "$id" >/dev/null 2>&1; then
      second tag "$id" "$image"
      log "$image: tagged (ID ${id:7:12} was there already under another name)"
      continue
    fi
    size=$(docker image inspect -f '{{.Size}}' "$image")
    started=$(now_ms)
    docker save "$image" | second load -q >/dev/null || die "loading $image into the second engine failed"
    log "$image: loaded (ID ${id:7:12}, $((size / 1000000)) MB) in $(since "$started")"
  done
  log "load done in $(since "$all_started")"
}

cmd_env() {
  use_running_engine
  local address
  address=$(container_address)
  [[ -n $address ]] || die "$CONTAINER has no address on network $NETWORK"
  echo "DOCKER_HOST=$ENGINE_URL"
  echo "COVERAGE_SPY_SECOND_ENGINE_ADDRESS=$address"
}

# The engine's containers go first, killed: a graceful stop would wait up to 10 s for each that ignores SIGTERM
# (python3 as PID 1 without --init), and they would only come back as exited containers in the next engine.
remove_inner_containers() {
  local state port ids=()
  read -r state _ port <<<"$(container_state)" || true
  [[ ${state:-} == true && -n ${port:-} ]] || return 0
  local ENGINE_URL="tcp://127.0.0.1:$port" # for second(), in here only
  mapfile -t ids < <(timeout 20 "${SECOND_DOCKER[@]}" -H "$ENGINE_URL" ps -aq 2>/dev/null || true)
  ((${#ids[@]})) || return 0
  second rm -f "${ids[@]}" >/dev/null || true
  log "removed ${#ids[@]} container(s) of the second engine"
}

remove_container() {
  if docker container inspect "$CONTAINER" >/dev/null 2>&1; then
    remove_inner_containers
    # dockerd shuts down cleanly on SIGTERM (its image store lives on in the volume).
    step "stopping $CONTAINER" docker stop -t 30 "$CONTAINER" >/dev/null || true
    docker rm -f "$CONTAINER" >/dev/null
  else
    log "$CONTAINER does not exist"
  fi
  rm -f "$INIT_STAMP"
}

cmd_stop() {
  lock
  remove_container
  log "volume $VOLUME kept (the loaded images): 'remove' deletes it"
}

cmd_remove() {
  lock
  remove_container
  if docker volume inspect "$VOLUME" >/dev/null 2>&1; then
    docker volume rm "$VOLUME" >/dev/null && log "volume $VOLUME removed"
  fi
  if docker network inspect "$NETWORK" >/dev/null 2>&1; then
    if docker network rm "$NETWORK" >/dev/null; then
      log "network $NETWORK removed"
    else
      log "network $NETWORK is still in use: left in place"
    fi
  fi
}

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
  local command="${1:-}"
  (($#)) && shift
  case $command in
    start) cmd_start ;;
    load) cmd_load "$@" ;;
    env) cmd_env ;;
    stop) cmd_stop ;;
    remove) cmd_remove ;;
    -h | --help | help) usage ;;
    *) usage >&2; die "unknown command '${command}' (start | load IMAGE... | env | stop | remove)" ;;
  esac
}

main "$@"
