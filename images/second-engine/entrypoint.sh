#!/usr/bin/env bash
# Entrypoint of coverage-spy/second-engine (run by tini as PID 1): prepares the container for a nested dockerd, then
# execs dockerd with its API on the default unix socket and on tcp://0.0.0.0:2375 without TLS.
#   - cgroup v2 host: moves this container's processes into a child cgroup and enables every controller for the
#     children (v2's "no internal processes" rule), so dockerd can create a cgroup per inner container.
#     cgroup v1 host: nothing to do (the container runs in a private cgroup namespace, so inner cgroups nest).
#   - not --privileged (an engine that cannot grant every capability, see scripts/second-engine.sh): docker mounts
#     /sys and the cgroup hierarchies read-only; they are made writable again (needs CAP_SYS_ADMIN).
#   - iptables: keeps Debian's default nf_tables backend when the kernel accepts it, else switches to legacy.
#   - removes pid files a previous run of this container left behind (docker restart).
#   - starts containerd itself and waits for its socket: dockerd's own ("managed") containerd costs ~1 s more, as
#     dockerd dials it before it listens and gRPC then backs off a full second before retrying.
# Extra arguments go to dockerd (e.g. --debug). SECOND_ENGINE_TCP overrides the TCP address (default 0.0.0.0:2375).
#
# --tls=false matters: dockerd (20.10 up to 26.x) sleeps 15 s at startup when it listens on TCP without TLS unless
# TLS is disabled explicitly; with --tls=false only its unconditional 1 s sleep (after the insecure-TCP warning)
# is left.
# containerd is not signalled on `docker stop`: dockerd stops the inner containers through it, then exits, and the
# container's end kills containerd (its state under /var/lib/docker is written transactionally).
set -euo pipefail

log() { printf 'second-engine: %s\n' "$*" >&2; }

CGROUP_ROOT=${SECOND_ENGINE_CGROUP_ROOT:-/sys/fs/cgroup}

make_sys_writable() {
  local mnt fstype opts done=()
  while read -r _ mnt fstype opts _; do
    [[ $fstype == sysfs || $fstype == cgroup || $fstype == cgroup2 ]] || continue
    [[ ($mnt == /sys || $mnt == /sys/*) && ,$opts, == *,ro,* ]] || continue
    # A read-only bind flag (cgroup hierarchies) or a read-only mount (sysfs).
    if mount -o remount,bind,rw "$mnt" 2>/dev/null || mount -o remount,rw "$mnt" 2>/dev/null; then
      done+=("$mnt")
    else
      log "could not make $mnt writable: inner containers may fail (run the container with --privileged)"
    fi
  done </proc/mounts
  ((${#done[@]} == 0)) || log "not privileged: made writable ${done[*]}"
}

nest_cgroup_v2() {
  [[ -f $CGROUP_ROOT/cgroup.controllers ]] || { log "cgroup v1 (or hybrid): no nesting needed"; return 0; }
  # Only in a private cgroup namespace is the mount's root this container's own cgroup. In the host's namespace it
  # would be the host's root cgroup: leave that alone.
  local own
  own=$(sed -n 's/^0:://p' /proc/self/cgroup)
  if [[ $own != / ]]; then
    log "cgroup v2 but not in a private cgroup namespace (own cgroup $own): nesting skipped (use --cgroupns=private)"
    return 0
  fi
  mkdir -p "$CGROUP_ROOT/entrypoint"
  local controllers=() spec="" tries pids pid
  read -r -a controllers <"$CGROUP_ROOT/cgroup.controllers" || true
  ((${#controllers[@]})) && spec=$(printf '+%s ' "${controllers[@]}")
  spec=${spec% }
  for ((tries = 0; tries < 20; tries++)); do
    # Move whatever is still in the root (tini, this shell, ...); a process may exit meanwhile.
    mapfile -t pids <"$CGROUP_ROOT/cgroup.procs"
    for pid in "${pids[@]}"; do
      echo "$pid" >"$CGROUP_ROOT/entrypoint/cgroup.procs" 2>/dev/null || true
    done
    # Fails (EBUSY) while a process is still in the root: then move again.
    if [[ -z $spec ]] || echo "$spec" >"$CGROUP_ROOT/cgroup.subtree_control" 2>/dev/null; then
      log "cgroup v2: processes moved to /entrypoint, controllers enabled for children: ${spec:-none}"
      return 0
    fi
    sleep 0.05
  done
  log "cgroup v2: could not enable controllers ($spec) in $CGROUP_ROOT/cgroup.subtree_control"
  return 1
}

pick_iptables() {
  if iptables -w -t nat -nL >/dev/null 2>&1; then
    log "iptables: $(iptables --version)"
    return 0
  fi
  if command -v iptables-legacy >/dev/null && iptables-legacy -w -t nat -nL >/dev/null 2>&1; then
    update-alternatives --quiet --set iptables /usr/sbin/iptables-legacy
    update-alternatives --quiet --set ip6tables /usr/sbin/ip6tables-legacy || true
    log "iptables: nf_tables does not work here, switched to $(iptables --version)"
    return 0
  fi
  log "iptables works with neither nf_tables nor legacy: dockerd cannot set up its bridge (container not privileged?)"
}

check_data_root() {
  local fs
  fs=$(stat -f -c %T /var/lib/docker 2>/dev/null || echo unknown)
  if [[ $fs == overlayfs ]]; then
    log "/var/lib/docker is on overlayfs (no volume there?): overlay2 cannot work on it, expect the slow vfs driver"
  fi
}

CONTAINERD_DIR=/run/second-engine
CONTAINERD_SOCKET=$CONTAINERD_DIR/containerd.sock

# The settings dockerd gives its managed containerd (same root, so a data volume works with either), quieter.
start_containerd() {
  mkdir -p "$CONTAINERD_DIR"
  rm -f "$CONTAINERD_SOCKET"
  printf '%s\n' 'version = 2' 'root = "/var/lib/docker/containerd/daemon"' "state = \"$CONTAINERD_DIR/state\"" \
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]' '[grpc]' "  address = \"$CONTAINERD_SOCKET\"" \
    '[debug]' '  level = "warn"' >"$CONTAINERD_DIR/containerd.toml"
  containerd --config "$CONTAINERD_DIR/containerd.toml" &
  local pid=$! tries
  for ((tries = 0; tries < 1000; tries++)); do
    [[ -S $CONTAINERD_SOCKET ]] && return 0
    kill -0 "$pid" 2>/dev/null || { log "containerd exited during startup"; exit 1; }
    sleep 0.01
  done
  log "containerd did not create $CONTAINERD_SOCKET within 10 s"
  exit 1
}

# Only when run as the container's command (not when sourced to test a function).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  make_sys_writable
  nest_cgroup_v2
  pick_iptables
  check_data_root
  rm -f /var/run/docker.pid
  start_containerd
  exec dockerd \
    --host=unix:///var/run/docker.sock \
    --host="tcp://${SECOND_ENGINE_TCP:-0.0.0.0:2375}" \
    --tls=false \
    --containerd="$CONTAINERD_SOCKET" \
    --data-root=/var/lib/docker \
    "$@"
fi
