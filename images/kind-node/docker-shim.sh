#!/usr/bin/env bash
# The `docker` kind runs (scripts/k8s-cluster.sh puts this file first on kind's PATH as `docker`); every other
# command goes to the real docker unchanged. For `docker run` / `docker create` of a node container:
# - labels it (coverage-spy.k8s=node), and its anonymous /var volume (coverage-spy.k8s=node-var);
# - drops kind's `-v /lib/modules:...` when the host has no /lib/modules (Docker would create it on the host);
# - on an engine whose capability bounding set lacks some capability (CAP_SYS_RESOURCE on some sandboxes),
#   `--privileged` fails ("unable to apply caps: operation not permitted"): it becomes every capability the engine
#   has, no masked /proc and /sys paths, all devices allowed; the node image's preinit makes the cgroup mounts
#   writable. `docker exec --privileged` loses the flag there (the node's capabilities are enough).
set -euo pipefail

self_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
real_docker=""
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [[ -n $dir && -x $dir/docker ]] || continue
  [[ $(cd "$dir" && pwd -P) == "$self_dir" ]] && continue
  real_docker="$dir/docker"
  break
done
[[ -n $real_docker ]] || { echo "docker-shim: no docker on PATH besides $self_dir" >&2; exit 127; }

# Capability names by number (linux/capability.h).
cap_names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
  NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE
  SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL
  SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)

# The capabilities missing from the bounding set of the local dockerd (or of this process when it cannot be read).
missing_caps() {
  local status=/proc/self/status pid bounding last i
  pid=$(pgrep -o -x dockerd 2>/dev/null || true)
  [[ -n $pid && -r /proc/$pid/status ]] && status=/proc/$pid/status
  bounding=$(awk '/^CapBnd:/ {print $2}' "$status")
  last=$(</proc/sys/kernel/cap_last_cap)
  for ((i = 0; i <= last && i < ${#cap_names[@]}; i++)); do
    (((0x$bounding >> i) & 1)) || echo "${cap_names[i]}"
  done
}

command=${1:-}
if [[ $command != run && $command != create && $command != exec ]]; then exec "$real_docker" "$@"; fi
mapfile -t missing < <(missing_caps)

if [[ $command == exec ]]; then
  ((${#missing[@]})) || exec "$real_docker" "$@"
  args=()
  for arg in "$@"; do [[ $arg == --privileged ]] || args+=("$arg"); done
  exec "$real_docker" "${args[@]}"
fi

args=("$command" --label coverage-spy.k8s=node)
shift
while (($#)); do
  case "$1" in
    --privileged)
      if ((${#missing[@]})); then
        args+=(--cap-add=ALL --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm')
        for cap in "${missing[@]}"; do args+=("--cap-drop=$cap"); done
      else
        args+=("$1")
      fi
      ;;
    --volume | -v)
      case "${2:-}" in
        /var) args+=(--mount "type=volume,dst=/var,volume-label=coverage-spy.k8s=node-var") ;;
        /lib/modules:*) [[ -d /lib/modules ]] && args+=("$1" "$2") ;;
        *) args+=("$1" "${2:-}") ;;
      esac
      shift
      ;;
    --volume=/var) args+=(--mount "type=volume,dst=/var,volume-label=coverage-spy.k8s=node-var") ;;
    --volume=/lib/modules:*) [[ -d /lib/modules ]] && args+=("$1") ;;
    *) args+=("$1") ;;
  esac
  shift
done
exec "$real_docker" "${args[@]}"
