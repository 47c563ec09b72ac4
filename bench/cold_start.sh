#!/usr/bin/env bash
# Cold start (bench/RESULTS.md, "Cold start"): runs a command in a fresh clone of this repository on an engine with no
# image and an empty coverage-spy cache, with a timestamp on every line it prints, then the phases' times.
#   bash bench/cold_start.sh --beside coverage|ci [--keep]
#   bash bench/cold_start.sh --move-aside coverage|ci
#     coverage: `bash scripts/coverage.sh up` (npm run coverage, the demo); ci: `bash .ci/run`
# --beside leaves the machine's engine and caches alone, for a machine others use: a second dockerd of its own
# (its data root, exec root, pid file and unix socket, its bridge and address pool, no iptables management of its
# own: this script adds the one NAT and forward rule its subnet needs, and removes them) and an empty
# COVERAGE_SPY_CACHE, Go caches (GOCACHE, GOMODCACHE, GOPATH), pip and XDG caches, all in a scratch folder
# (COLD_SCRATCH, default a new folder in /tmp), removed at the end unless --keep. Kept warm: npm's own cache,
# Debian's installed packages and the plugins' source archives (COVERAGE_SPY_UPSTREAM_DIR, default this checkout's).
# The engine's start is timed apart, before the command: a fresh machine starts its own (scripts/docker-engine.sh).
# --move-aside stops the machine's dockerd and MOVES ASIDE (never deletes) Docker's data root, $COVERAGE_SPY_CACHE and
# pip's cache, to <path>.cold-<time> (a mount point's entries to <path>/.cold-<time>): put them back by stopping
# dockerd and moving them over the new ones. Without a mode it only says what it would do. `npm run bench` runs
# `--beside coverage`.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

usage="usage: bash bench/cold_start.sh --beside coverage|ci [--keep] | --move-aside coverage|ci"
mode="${1:-}"
case "$mode" in
  --beside | --move-aside) ;;
  *) die "$usage (--move-aside stops dockerd and moves its data root and the caches aside)" ;;
esac
case "${2:-}" in
  coverage) run=(bash scripts/coverage.sh up) ;;
  ci) run=(bash .ci/run) ;;
  *) die "$usage" ;;
esac
keep="${3:-}"
[ -z "$keep" ] || [ "$keep" = --keep ] || die "$usage"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

# The second engine's network: its default bridge and the pool its networks come from, one /16 the host has no
# route into (checked below).
COLD_NET=10.231
COLD_SUBNET=$COLD_NET.0.0/16
COLD_BRIDGE=cscold0
COLD_BRIDGE_ADDRESS=$COLD_NET.0.1/24
COLD_POOL=$COLD_NET.64.0/18
# The host's interfaces with an address in the subnet (the bridges of the second engine's networks).
cold_interfaces() { ip -o -4 addr show | awk -v net="$COLD_NET." 'index($4, net) == 1 { print $2 }'; }

# The rules --beside adds for the second engine's subnet (its dockerd adds none): the containers' way out (NAT,
# forwarding past the host's FORWARD policy) and the answers back in.
nat_rule=(POSTROUTING -s "$COLD_SUBNET" ! -d "$COLD_SUBNET" -j MASQUERADE)
forward_out=(FORWARD -s "$COLD_SUBNET" -j ACCEPT)
forward_back=(FORWARD -d "$COLD_SUBNET" -m conntrack --ctstate "RELATED,ESTABLISHED" -j ACCEPT)

# A second dockerd in $scratch on its own socket; DOCKER_HOST names it from here on.
start_second_engine() {
  [ -z "$(cold_interfaces)" ] || die "the host has addresses in $COLD_SUBNET already ($(cold_interfaces | xargs)): \
a cold run's left-overs (ip link del NAME), or pick another subnet"
  ! ip link show "$COLD_BRIDGE" >/dev/null 2>&1 || die "a network interface $COLD_BRIDGE exists (another cold run?)"
  ip link add name "$COLD_BRIDGE" type bridge
  network_ours=1
  ip addr add "$COLD_BRIDGE_ADDRESS" dev "$COLD_BRIDGE"
  ip link set "$COLD_BRIDGE" up
  iptables -t nat -I "${nat_rule[@]}"
  iptables -I "${forward_out[@]}"
  iptables -I "${forward_back[@]}"
  # Only ever on an empty data root: a dockerd (20.10) that starts on one holding its default "bridge" network, with
  # an address pool set, deletes the host's docker0, the machine's own engine's bridge (removeDefaultBridgeInterface).
  [ -z "$(ls -A "$scratch/docker" 2>/dev/null)" ] \
    || die "$scratch/docker is not empty: a second engine starts only on an empty data root (see above)"
  mkdir -p "$scratch/docker" "$scratch/x"
  echo '{}' >"$scratch/daemon.json"
  export DOCKER_HOST="unix://$scratch/docker.sock"
  log "starting a second dockerd (data root $scratch/docker, socket $scratch/docker.sock, log $scratch/dockerd.log)"
  local started
  started=$(date +%s)
  setsid dockerd --config-file "$scratch/daemon.json" --data-root "$scratch/docker" --exec-root "$scratch/x" \
    --pidfile "$scratch/dockerd.pid" --host "$DOCKER_HOST" --bridge "$COLD_BRIDGE" --iptables=false \
    --ip-masq=false --default-address-pool "base=$COLD_POOL,size=24" >"$scratch/dockerd.log" 2>&1 </dev/null &
  local launched=$!
  until timeout 5 docker info >/dev/null 2>&1; do
    kill -0 "$launched" 2>/dev/null || { tail -n 20 "$scratch/dockerd.log" >&2; die "the second dockerd exited"; }
    (($(date +%s) - started < 60)) || die "the second dockerd did not answer within 60 s ($scratch/dockerd.log)"
    sleep 0.5
  done
  dockerd_pid=$(cat "$scratch/dockerd.pid")
  log "second dockerd (pid $dockerd_pid) answers after $(($(date +%s) - started)) s"
}

# Stops the second dockerd (it stops its containers) and removes its bridge and rules; removes $scratch unless --keep.
# shellcheck disable=SC2317 # the EXIT trap runs it
stop_second_engine() {
  if [ -n "${dockerd_pid:-}" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    kill "$dockerd_pid"
    for _ in $(seq 1 120); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  # dockerd may leave its data root mounted on itself.
  ! mountpoint -q "$scratch/docker" || umount "$scratch/docker" || true
  if [ "${network_ours:-0}" = 1 ]; then
    iptables -D "${forward_back[@]}" 2>/dev/null || true
    iptables -D "${forward_out[@]}" 2>/dev/null || true
    iptables -t nat -D "${nat_rule[@]}" 2>/dev/null || true
    ip link del "$COLD_BRIDGE" 2>/dev/null || true
    # The bridges of the networks the second engine made (its address pool): a stopped dockerd leaves them.
    local bridge
    for bridge in $(cold_interfaces); do ip link del "$bridge" || true; done
  fi
  if [ "$keep" = --keep ]; then
    log "kept: $scratch (remove it with rm -rf once its dockerd is stopped)"
  elif [ -z "${dockerd_pid:-}" ] || ! kill -0 "$dockerd_pid" 2>/dev/null; then
    rm -rf "$scratch"
  else
    log "the second dockerd (pid $dockerd_pid) still runs: $scratch is kept"
  fi
}

# The machine's engine and caches moved aside (see above).
move_aside() {
  local docker_root pip_cache pid path aside
  docker_root=$(docker info -f '{{.DockerRootDir}}' 2>/dev/null || echo /var/lib/docker)
  pip_cache="${XDG_CACHE_HOME:-$HOME/.cache}/pip"
  # The daemon scripts/docker-engine.sh started (its pid file), else any dockerd: stopped, and waited for.
  pid=$(cat "$COVERAGE_SPY_CACHE/dockerd.pid" 2>/dev/null || pgrep -x dockerd || true)
  if [ -n "$pid" ]; then
    log "stopping dockerd (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do pgrep -x dockerd >/dev/null || break; sleep 0.5; done
    ! pgrep -x dockerd >/dev/null || die "dockerd (pid $pid) did not stop within 60 s"
  fi
  # A mount point (Docker's data root often is one) cannot be moved: its entries go into a folder inside it instead,
  # which dockerd ignores.
  for path in "$docker_root" "$COVERAGE_SPY_CACHE" "$pip_cache"; do
    [ -e "$path" ] || continue
    if mountpoint -q -- "$path"; then
      aside="$path/.cold-$stamp"
      mkdir -- "$aside"
      find "$path" -mindepth 1 -maxdepth 1 ! -name ".cold-*" -exec mv -t "$aside" -- {} +
    else
      aside="$path.cold-$stamp"
      mv -- "$path" "$aside"
    fi
    log "moved $path aside to $aside"
  done
}

# The load average every 30 s while the command runs, into a file of its own.
sample_load() {
  while sleep 30; do printf '%s +%ss load %s\n' "$(date -u +%H:%M:%S)" "$(($(date +%s) - start))" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"; done >"$log_file.load"
}

if [ "$mode" = --beside ]; then
  scratch="${COLD_SCRATCH:-$(mktemp -d /tmp/cs-cold.XXXXXX)}"
  mkdir -p "$scratch"
  trap 'stop_second_engine' EXIT
  export COVERAGE_SPY_UPSTREAM_DIR="${COVERAGE_SPY_UPSTREAM_DIR:-$(cd "$REPO_ROOT/.." && pwd)/shared/upstream}"
  start_second_engine
  export COVERAGE_SPY_CACHE="$scratch/cache" GOCACHE="$scratch/go/build" GOMODCACHE="$scratch/go/mod" \
    GOPATH="$scratch/go/path" PIP_CACHE_DIR="$scratch/pip" XDG_CACHE_HOME="$scratch/xdg"
  clone="$scratch/coverage-spy"
else
  move_aside
  clone=$(mktemp -d)/coverage-spy
fi
git clone -q "$REPO_ROOT" "$clone"
cd "$clone"
log "cold ${2} in $clone ($(git log -1 --format='%h %s' | cut -c1-80)); $(nproc) cores;" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
log_file="$clone/../cold-${2}-$stamp.log"
start=$(date +%s)
sample_load &
sampler=$!
status=0
"${run[@]}" 2>&1 | while IFS= read -r line; do
  printf '%s +%ss %s\n' "$(date -u +%H:%M:%S)" "$(($(date +%s) - start))" "$line"
done | tee "$log_file" || status=$?
kill "$sampler" 2>/dev/null || true
[ "$status" = 0 ] || status=1
log "cold ${2}: exit $status after $(($(date +%s) - start)) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
# What the machine's load does not change: the CPU time of the command's own processes (the Go builds, npm, node;
# not the engine's image builds), user and system.
times >"$log_file.times" # in this shell: its children's times (a pipe would run it in a subshell of its own)
log "CPU time of the command's processes (user, system): $(tail -n 1 "$log_file.times")"
log "its phases (the scripts' own step lines):"
grep -E '(done|checked|complete|built) in [0-9]+ s|total [0-9]+ s' "$log_file" >&2 || true
log "the load average meanwhile:"
cat "$log_file.load" >&2 || true
if [ "$mode" = --beside ] && [ "$keep" != --keep ]; then
  # The scratch folder goes: the logs stay.
  cp "$log_file" "$log_file.load" "${TMPDIR:-/tmp}/"
  log_file="${TMPDIR:-/tmp}/${log_file##*/}"
fi
log "the log: $log_file"
exit "$status"
