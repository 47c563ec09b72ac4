#!/bin/bash
# Runs before kind's entrypoint in every node container (the node image's ENTRYPOINT), then execs it.
# - On an engine that cannot start --privileged containers (its capability bounding set lacks CAP_SYS_RESOURCE),
#   the docker shim starts nodes with every other capability instead, and the cgroup v1 hierarchies stay mounted
#   read-only: remount them read-write (a plain remount fails with "mount point is busy": a bind remount works),
#   and create /dev/kmsg, which kubelet reads.
# - kubelet sets a few sysctls that are not namespaced: on a shared machine they would change the host. Each is
#   shadowed by a read-only file holding the value kubelet wants, so it finds nothing to change.
set -e
for dir in /sys/fs/cgroup /sys/fs/cgroup/*; do
  [ -L "$dir" ] && continue
  grep -q " $dir " /proc/self/mountinfo || continue
  mount -o remount,bind,rw "$dir" 2>/dev/null || mount -o remount,rw "$dir" 2>/dev/null || true
done
[ -e /dev/kmsg ] || mknod -m 640 /dev/kmsg c 1 11 || true
mkdir -p /kind/fake-sysctl
for setting in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
  kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
  key=${setting%=*} value=${setting#*=}
  [ "$(cat "/proc/sys/$key" 2>/dev/null)" = "$value" ] && continue
  file=/kind/fake-sysctl/${key//\//_}
  echo "$value" >"$file"
  if ! { mount --bind "$file" "/proc/sys/$key" && mount -o remount,bind,ro "/proc/sys/$key"; }; then
    echo "coverage-spy-preinit: could not shadow /proc/sys/$key: kubelet may change it on the host" >&2
  fi
done
exec "$@"
