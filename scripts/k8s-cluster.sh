#!/usr/bin/env bash
# The project's own Kubernetes cluster on this machine's Docker engine: kind (kubeadm) with one control plane and
# COVERAGE_SPY_K8S_WORKERS workers, built from the Go module proxy and Debian packages only (no registry).
#
# Usage: scripts/k8s-cluster.sh [up|build|down|status|env|smoke|load IMAGE...]      (default: up)
#   up      builds what is missing (scripts/k8s-build.sh), creates the cluster unless it is running with all its
#           nodes Ready on the current node image, waits for the nodes and CoreDNS; prints the kubeconfig's path
#   build   only the binaries and images (each skipped while what it is built from is unchanged)
#   down    deletes the cluster, its node volumes and its Docker network (binaries, images and caches stay)
#   status  what is built and whether the cluster is up; exit 0 when it is up and healthy, 1 otherwise
#   env     prints KUBECONFIG=..., KUBECACHEDIR=... and PATH=... (our kubectl first): eval "$(scripts/k8s-cluster.sh env)"
#   smoke   checks the running cluster end to end (scripts/k8s-smoke.sh)
#   load IMAGE...  copies images from this machine's Docker engine into every node (kind load docker-image, through
#           the docker shim kind needs here): the services' images and the spy image the component names
#   COVERAGE_SPY_K8S_WORKERS=2   worker nodes (1 to 99)
#   COVERAGE_SPY_K8S_CRICTL=1    also build crictl into the node image (debugging; off by default to save time)
# Names: cluster coverage-spy (nodes coverage-spy-control-plane, coverage-spy-worker, ...), Docker network
# coverage-spy-kind, images coverage-spy/k8s/*; everything labelled coverage-spy.k8s. Kubeconfig:
# $COVERAGE_SPY_CACHE/k8s/kubeconfig (the user's ~/.kube/config is never touched). A user's own cluster needs none
# of this. Progress and timings go to stderr; `up` prints the kubeconfig path on stdout.
set -euo pipefail
# shellcheck source=scripts/k8s-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s-env.sh"

NODE_TIMEOUT="${COVERAGE_SPY_K8S_TIMEOUT:-300}"
# How long a load waits for every node to list the images it loaded (kubelets report them within about 40 s).
LOAD_LIST_TIMEOUT=120

install_shim() {
  mkdir -p "$K8S_SHIM_DIR"
  cmp -s "$K8S_FILES/docker-shim.sh" "$K8S_SHIM_DIR/docker" \
    || install -m 0755 "$K8S_FILES/docker-shim.sh" "$K8S_SHIM_DIR/docker"
}

cluster_exists() { [[ -x $K8S_BIN/kind ]] && kind_run get clusters 2>/dev/null | grep -qx "$K8S_CLUSTER"; }

# The node containers of the cluster: "NAME STATE IMAGE_ID" a line.
node_containers() {
  docker ps -a --filter "label=io.x-k8s.kind.cluster=$K8S_CLUSTER" --format '{{.Names}}' \
    | while read -r name; do
      docker container inspect -f '{{.Name}} {{.State.Status}} {{.Image}}' "$name" | sed 's#^/##'
    done
}

# Why the running cluster cannot be reused (nothing when it can): the nodes' containers, image and readiness.
unhealthy_reason() {
  cluster_exists || { echo "no cluster $K8S_CLUSTER"; return; }
  local node_image containers count ready
  node_image=$(image_id "$K8S_NODE_IMAGE") || { echo "no node image $K8S_NODE_IMAGE"; return; }
  containers=$(node_containers)
  count=$(grep -c . <<<"$containers" || true)
  ((count == K8S_WORKERS + 1)) || { echo "it has $count nodes, $((K8S_WORKERS + 1)) wanted (1 control plane + $K8S_WORKERS workers)"; return; }
  if grep -qv ' running ' <<<"$containers"; then
    echo "node containers not running: $(grep -v ' running ' <<<"$containers" | cut -d' ' -f1,2 | paste -sd, -)"
    return
  fi
  if grep -qv " $node_image\$" <<<"$containers"; then
    echo "its nodes run another node image than the current $K8S_NODE_IMAGE"
    return
  fi
  [[ -s $K8S_KUBECONFIG ]] || { echo "no kubeconfig at $K8S_KUBECONFIG"; return; }
  ready=$(timeout 30 kubectl get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | grep -c . || true)
  ((ready == K8S_WORKERS + 1)) || echo "$ready of $((K8S_WORKERS + 1)) nodes Ready"
}

ensure_network() {
  docker network inspect "$K8S_NETWORK" >/dev/null 2>&1 && return 0
  docker network create --label "$K8S_LABEL=network" "$K8S_NETWORK" >/dev/null \
    || die "docker network create $K8S_NETWORK failed: are Docker's address pools exhausted? (docker network ls)"
}

delete_cluster() {
  if cluster_exists; then
    step "deleting cluster $K8S_CLUSTER" logged "$K8S_LOGS/kind-delete.log" \
      kind_run delete cluster --name "$K8S_CLUSTER" --kubeconfig "$K8S_KUBECONFIG"
  fi
  local volumes=()
  mapfile -t volumes < <(docker volume ls -q --filter "label=$K8S_LABEL=node-var" --filter dangling=true)
  ((${#volumes[@]} == 0)) || docker volume rm "${volumes[@]}" >/dev/null || true
  # A node image replaced while the old nodes still ran it could not be pruned by the build then.
  docker image prune -f --filter "label=$K8S_LABEL=node" >/dev/null 2>&1 || true
  rm -f "$K8S_KUBECONFIG"
}

kind_config() {
  local worker
  cat "$K8S_FILES/kind-config.yaml"
  for ((worker = 1; worker <= K8S_WORKERS; worker++)); do echo "- role: worker"; done
}

create_cluster() {
  local config="$K8S_WORK/kind-config.yaml"
  mkdir -p "$K8S_WORK" "$K8S_LOGS"
  kind_config >"$config"
  ensure_network
  # kind's own progress lines, indented under ours.
  # shellcheck disable=SC2016 # expanded by the inner bash
  step "kind create cluster $K8S_CLUSTER (1 control plane + $K8S_WORKERS workers)" bash -c \
    'set -o pipefail; KIND_EXPERIMENTAL_DOCKER_NETWORK="$1" PATH="$2:$PATH" kind create cluster --name "$3" \
      --config "$4" --image "$5" --kubeconfig "$6" --wait "$7s" 2>&1 | tee "$8" | sed "s/^/[coverage-spy]   /" >&2' \
    _ "$K8S_NETWORK" "$K8S_SHIM_DIR" "$K8S_CLUSTER" "$config" "$K8S_NODE_IMAGE" "$K8S_KUBECONFIG" \
    "$NODE_TIMEOUT" "$K8S_LOGS/kind-create.log" \
    || die "kind could not create the cluster (log: $K8S_LOGS/kind-create.log; a node's own log: docker logs $K8S_CLUSTER-control-plane)"
  chmod 600 "$K8S_KUBECONFIG"
}

wait_ready() {
  step "waiting for the nodes to be Ready" logged "$K8S_LOGS/wait-nodes.log" \
    kubectl wait --for=condition=Ready nodes --all --timeout="${NODE_TIMEOUT}s" \
    || die "the nodes did not become Ready in $NODE_TIMEOUT s: kubectl --kubeconfig $K8S_KUBECONFIG describe nodes"
  step "waiting for CoreDNS" logged "$K8S_LOGS/wait-coredns.log" \
    kubectl -n kube-system rollout status deployment/coredns --timeout="${NODE_TIMEOUT}s" \
    || die "CoreDNS did not become ready in $NODE_TIMEOUT s: kubectl --kubeconfig $K8S_KUBECONFIG -n kube-system describe pods -l k8s-app=kube-dns"
}

cmd_build() {
  k8s_lock
  step "k8s build" bash "$REPO_ROOT/scripts/k8s-build.sh" all
}

cmd_up() {
  local started=$SECONDS reason
  k8s_lock
  bash "$REPO_ROOT/scripts/k8s-build.sh" all
  install_shim
  reason=$(unhealthy_reason)
  if [[ -z $reason ]]; then
    log "cluster $K8S_CLUSTER is up: $((K8S_WORKERS + 1)) nodes Ready (checked in $((SECONDS - started)) s)"
  else
    log "creating cluster $K8S_CLUSTER: $reason"
    delete_cluster
    create_cluster
    wait_ready
    log "cluster $K8S_CLUSTER is up in $((SECONDS - started)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  fi
  kubectl get nodes -o wide 2>&1 | sed 's/^/[coverage-spy]   /' >&2
  log "kubeconfig: $K8S_KUBECONFIG (eval \"\$(scripts/k8s-cluster.sh env)\" to use it with our kubectl)"
  echo "$K8S_KUBECONFIG"
}

cmd_down() {
  k8s_lock
  [[ -x $K8S_BIN/kind ]] || log "kind is not built: nothing of a cluster to delete besides its network"
  install_shim
  cluster_exists || log "no cluster $K8S_CLUSTER"
  delete_cluster
  docker rm -f "$K8S_CLUSTER-node-build" >/dev/null 2>&1 || true
  if docker network inspect "$K8S_NETWORK" >/dev/null 2>&1; then
    if docker network rm "$K8S_NETWORK" >/dev/null; then
      log "network $K8S_NETWORK removed"
    else
      log "network $K8S_NETWORK is still in use: left in place (docker network inspect $K8S_NETWORK)"
    fi
  fi
  log "cluster $K8S_CLUSTER is down (binaries, images and caches kept in $K8S_CACHE)"
}

cmd_status() {
  local reason name image
  log "pins: Kubernetes v$K8S_VERSION, kind $KIND_VERSION, etcd $ETCD_VERSION, CoreDNS $COREDNS_VERSION, local-path-provisioner $LOCAL_PATH_VERSION, Debian $K8S_DEBIAN_SUITE"
  for name in kubernetes etcd coredns kind local-path-provisioner crictl; do
    if [[ -f $K8S_BIN/$name.stamp ]]; then
      log "  built: $(<"$K8S_BIN/$name.stamp")"
    elif [[ $name == crictl ]]; then
      log "  not built: crictl (optional: COVERAGE_SPY_K8S_CRICTL=1)"
    else
      log "  not built: $name"
    fi
  done
  for image in "$K8S_NODE_BASE_IMAGE" "$K8S_NODE_IMAGE"; do
    if image_exists "$image"; then log "  image: $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.2f GB", $1 / 1e9}'))"; else log "  no image: $image"; fi
  done
  install_shim
  reason=$(unhealthy_reason)
  if [[ -n $reason ]]; then
    log "cluster $K8S_CLUSTER: not usable ($reason); scripts/k8s-cluster.sh up (re)creates it"
    return 1
  fi
  kubectl get nodes -o wide 2>&1 | sed 's/^/[coverage-spy]   /' >&2
  log "cluster $K8S_CLUSTER: up, kubeconfig $K8S_KUBECONFIG"
}

cmd_env() {
  printf 'export KUBECONFIG=%q\n' "$K8S_KUBECONFIG"
  printf 'export KUBECACHEDIR=%q\n' "$KUBECACHEDIR"
  # shellcheck disable=SC2016 # $PATH is for the shell that evaluates this
  printf 'export PATH=%q:"$PATH"\n' "$K8S_BIN"
}

# The name a node lists an image under, as components/stack/kubernetes/nodeImages.ts's nodeImageName gives it.
node_image_name() {
  local image=$1 first=${1%%/*} last=${1##*/}
  [[ $last == *:* ]] || image="$image:latest"
  if [[ $1 != */* ]]; then
    printf 'docker.io/library/%s\n' "$image"
  elif [[ $first == *[.:]* || $first == localhost ]]; then
    printf '%s\n' "$image"
  else
    printf 'docker.io/%s\n' "$image"
  fi
}

# Nodes that do not list every one of the images yet, one "NODE IMAGE" line each.
nodes_lacking() {
  local listed node names image
  listed=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.images[*].names}{"\n"}{end}') || return
  while read -r node names; do
    [[ -n $node ]] || continue
    for image in "$@"; do
      [[ $names == *"\"$(node_image_name "$image")\""* ]] || printf '%s %s\n' "$node" "$image"
    done
  done <<<"$listed"
}

# The images copied from this machine's Docker engine into every node; done once every node lists them, as the
# component's preview check reads them (a kubelet reports a new image in its node's status within about 40 s).
cmd_load() {
  (($# > 0)) || die "load: name the images to copy into the nodes (load IMAGE...)"
  cluster_exists || die "cluster $K8S_CLUSTER is not up: bash scripts/k8s-cluster.sh up"
  install_shim
  kind_run load docker-image --name "$K8S_CLUSTER" "$@"
  local deadline=$((SECONDS + LOAD_LIST_TIMEOUT)) lacking
  while true; do
    lacking=$(nodes_lacking "$@") || die "could not read the nodes' images: kubectl --kubeconfig $K8S_KUBECONFIG get nodes"
    [[ -n $lacking ]] || break
    ((SECONDS < deadline)) \
      || die "the nodes do not list the loaded images after $LOAD_LIST_TIMEOUT s: $(tr '\n' ';' <<<"$lacking") (kubectl --kubeconfig $K8S_KUBECONFIG get nodes -o yaml)"
    sleep 2
  done
  log "every node lists $*"
}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

main() {
  local command="${1:-up}"
  case "$command" in
    up) cmd_up ;;
    build) cmd_build ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    smoke) bash "$REPO_ROOT/scripts/k8s-smoke.sh" ;;
    load) shift; cmd_load "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; die "unknown command '$command' (up | build | down | status | env | smoke | load)" ;;
  esac
}

main "$@"
