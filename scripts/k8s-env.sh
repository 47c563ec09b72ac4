# Source me: the pins, paths and helpers of the project's local Kubernetes cluster (scripts/k8s-cluster.sh).
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this file
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pins. Kubernetes 1.34 is the newest whose kubelet runs on a cgroup v1 host without switching failCgroupV1 off;
# systemd 257 (Debian trixie) is the last that boots on cgroup v1. etcd and CoreDNS are the releases kubeadm
# v1.34 expects (etcd's newest 3.6 patch, served under the tag kubeadm asks for).
K8S_VERSION=1.34.4
KIND_VERSION=v0.33.0
ETCD_VERSION=v3.6.16
COREDNS_VERSION=v1.12.1
CRICTL_VERSION=v1.34.0
# The default StorageClass's provisioner, as kind ships it (images/kind-node/local-path).
LOCAL_PATH_VERSION=v0.0.30
K8S_DEBIAN_SUITE=trixie
# The plugins kubeadm's default Corefile uses: CoreDNS is built with these only (minutes instead of the full set).
COREDNS_PLUGINS=(cache errors forward health hosts kubernetes loadbalance log loop metrics ready reload whoami)

K8S_CLUSTER="${COVERAGE_SPY_K8S_CLUSTER:-coverage-spy}"
K8S_WORKERS="${COVERAGE_SPY_K8S_WORKERS:-2}"
K8S_NETWORK="$K8S_CLUSTER-kind"
K8S_CACHE="$COVERAGE_SPY_CACHE/k8s"
K8S_BIN="$K8S_CACHE/bin"
K8S_SHIM_DIR="$K8S_CACHE/docker-shim"
K8S_WORK="$K8S_CACHE/work"
K8S_LOGS="$K8S_CACHE/logs"
K8S_KUBECONFIG="$K8S_CACHE/kubeconfig"
K8S_FILES="$REPO_ROOT/images/kind-node"
# The Debian image every cluster image starts from (scripts/base-images.sh builds it).
K8S_BASE_IMAGE="coverage-spy/base:$K8S_DEBIAN_SUITE"
K8S_IMAGE_PREFIX=coverage-spy/k8s
K8S_NODE_BASE_IMAGE="$K8S_IMAGE_PREFIX/node-base:$K8S_DEBIAN_SUITE"
K8S_NODE_IMAGE="$K8S_IMAGE_PREFIX/node:v$K8S_VERSION"
# Every image, container, volume and network made for the cluster carries this label (value: what it is).
K8S_LABEL=coverage-spy.k8s

[[ $K8S_WORKERS =~ ^[1-9][0-9]?$ ]] \
  || die "COVERAGE_SPY_K8S_WORKERS must be a number of worker nodes from 1 to 99, not '$K8S_WORKERS'"

# Our kubectl (the cluster's version) and kind come before the host's.
export PATH="$K8S_BIN:$PATH"
export KUBECONFIG="$K8S_KUBECONFIG"
# kubectl's discovery and HTTP caches, which it would otherwise write to ~/.kube/cache.
export KUBECACHEDIR="$K8S_CACHE/kube-cache"

# The Go environment of the cluster's and the Kubernetes provider's builds: caches of their own, never the user's.
k8s_go_env() {
  command -v go >/dev/null || die "no 'go' on PATH: the cluster's binaries are built from the Go module proxy (install Go >= 1.24)"
  export GOMODCACHE="$K8S_CACHE/gomodcache" GOCACHE="$K8S_CACHE/gocache"
  export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
}

# kind, through a `docker` that can start its nodes on this engine (images/kind-node/docker-shim.sh).
kind_run() { PATH="$K8S_SHIM_DIR:$PATH" kind "$@"; }

# heartbeat LABEL CMD...: runs CMD, and every minute says it still runs (a cold Go build is silent for half an hour).
heartbeat() {
  local label="$1" parent=$$ ticker rc=0
  shift
  (
    started=$SECONDS
    while sleep 60 && kill -0 "$parent" 2>/dev/null; do
      log "  $label: still running after $((SECONDS - started)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    done
  ) &
  ticker=$!
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  return "$rc"
}

# logged LOG CMD...: runs CMD with its output in LOG; on failure shows the end of LOG.
logged() {
  local file="$1" rc=0
  shift
  mkdir -p "$(dirname "$file")"
  "$@" >"$file" 2>&1 || rc=$?
  if ((rc)); then
    tail -n 40 "$file" | sed 's/^/[coverage-spy]   /' >&2
    log "'$*' failed (exit $rc): full log in $file"
  fi
  return "$rc"
}

# k8s_lock: one cluster script at a time (a cold build waits for the one already building).
k8s_lock() {
  mkdir -p "$K8S_CACHE"
  exec 8>"$K8S_CACHE/k8s.lock"
  if ! flock -n 8; then
    log "another scripts/k8s-cluster.sh is running (lock $K8S_CACHE/k8s.lock): waiting for it"
    flock -w 7200 8 || die "scripts/k8s-cluster.sh still holds $K8S_CACHE/k8s.lock after 2 h: is one stuck? (see: ps -ef | grep k8s-)"
  fi
}
