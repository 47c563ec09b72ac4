#!/usr/bin/env bash
# Smoke check of the running local cluster (scripts/k8s-cluster.sh smoke; `up` first): a locally built image loaded
# with `kind load`, a 2-replica Deployment spread over two worker nodes, its Service answered from a pod on one
# worker by both replicas (so across nodes, by DNS name and by each pod's IP) and from the host through the
# NodePort on every node; a claim on the default StorageClass (local-path-provisioner) written by a pod on one
# worker and read back by a new pod on the same node, its volume pinned to that node and removed from the node with
# the claim; then everything deleted. Prints each check; fails naming the one that did not hold.
# Leaves nothing behind in the cluster (the namespace coverage-spy-smoke is deleted, also on failure).
set -euo pipefail
# shellcheck source=scripts/k8s-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s-env.sh"

SMOKE_DIR="$K8S_FILES/smoke"
IMAGE=coverage-spy/k8s/smoke-web:latest
NS=coverage-spy-smoke
TIMEOUT=120s
started=$SECONDS

ok() { log "ok: $*"; }
k() { kubectl -n "$NS" "$@"; }

cleanup() {
  local rc=$?
  if ((rc)) && kubectl get namespace "$NS" >/dev/null 2>&1; then
    log "smoke check failed: the namespace's pods and events:"
    { k get pods -o wide; k get events --sort-by=.lastTimestamp | tail -n 20; } 2>&1 | sed 's/^/[coverage-spy]   /' >&2
  fi
  kubectl delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  return "$rc"
}

[[ -s $K8S_KUBECONFIG ]] || die "no cluster: run scripts/k8s-cluster.sh up first (no $K8S_KUBECONFIG)"
mapfile -t workers < <(kubectl get nodes -l '!node-role.kubernetes.io/control-plane' -o name | sed 's#^node/##')
((${#workers[@]} >= 2)) || die "the smoke check needs at least 2 worker nodes, the cluster has ${#workers[@]} (COVERAGE_SPY_K8S_WORKERS)"
trap cleanup EXIT
kubectl delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s >/dev/null

# 1. A local image, never pulled: built here, loaded into every node.
step "docker build $IMAGE" logged "$K8S_LOGS/smoke-build.log" docker build --label "$K8S_LABEL=smoke" \
  --build-arg "BASE_IMAGE=$K8S_BASE_IMAGE" -t "$IMAGE" "$SMOKE_DIR"
step "kind load docker-image $IMAGE" logged "$K8S_LOGS/smoke-load.log" \
  kind_run load docker-image --name "$K8S_CLUSTER" "$IMAGE"
ok "image $IMAGE built locally and loaded into the $((${#workers[@]} + 1)) nodes"

# 2. Two replicas on two different workers.
kubectl apply -f "$SMOKE_DIR/web.yaml" >/dev/null
step "rollout of deployment web (2 replicas)" logged "$K8S_LOGS/smoke-rollout.log" \
  k rollout status deployment/web --timeout="$TIMEOUT"
mapfile -t pods < <(k get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP}{"\n"}{end}')
((${#pods[@]} == 2)) || die "deployment web has ${#pods[@]} pods, 2 wanted"
read -r pod_a node_a ip_a <<<"${pods[0]}"
read -r pod_b node_b ip_b <<<"${pods[1]}"
[[ $node_a != "$node_b" ]] || die "both replicas run on $node_a: the anti-affinity did not spread them"
ok "2 replicas Ready on 2 workers: $pod_a on $node_a ($ip_a), $pod_b on $node_b ($ip_b)"

# 3. From a pod on the first replica's node: the Service by DNS name reaches both replicas (one of them on the
#    other node), and each pod's IP answers directly.
sed "s/NODE_NAME/$node_a/" <<'EOF' | kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: coverage-spy-smoke}
spec:
  nodeName: NODE_NAME
  terminationGracePeriodSeconds: 1
  containers:
  - {name: client, image: coverage-spy/k8s/smoke-web:latest, imagePullPolicy: Never, command: [sleep, infinity]}
EOF
k wait --for=condition=Ready pod/client --timeout="$TIMEOUT" >/dev/null
log "from pod client on $node_a:"
k exec client -- python3 /srv/probe.py "http://web.$NS.svc.cluster.local/" "$pod_a" "$pod_b" >&2 \
  || die "the Service (by DNS name) did not answer from both replicas"
ok "Service web by DNS name answered by both replicas, across nodes"
k exec client -- python3 /srv/probe.py "http://$ip_b:8080/" "$pod_b" >&2 \
  || die "pod $pod_b on $node_b did not answer at its IP from $node_a"
ok "pod IP $ip_b on $node_b reached from $node_a (pod network across nodes)"

# 4. From the host: the NodePort on every node's address reaches both replicas.
port=$(k get service web -o jsonpath='{.spec.ports[0].nodePort}')
log "from the host, NodePort $port:"
while read -r node address; do
  python3 "$SMOKE_DIR/probe.py" "http://$address:$port/" "$pod_a" "$pod_b" >&2 \
    || die "NodePort $port on $node ($address) did not answer from both replicas"
done < <(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}')
ok "NodePort $port answered from the host on every node by both replicas"

# 5. The default StorageClass: a node-local volume that outlives its pod on the node that holds it, and is removed
#    from that node with its claim.
# one_pod NAME NODE COMMAND: a pod on NODE (through the scheduler: a claim that waits for its first consumer is
# never bound for a pod that names its node itself) that mounts claim data at /data and runs COMMAND once.
one_pod() {
  sed -e "s/POD_NAME/$1/" -e "s/NODE_NAME/$2/" <<EOF | kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: POD_NAME, namespace: $NS}
spec:
  nodeSelector: {kubernetes.io/hostname: NODE_NAME}
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Never
    command: [sh, -c, '$3']
    volumeMounts: [{name: data, mountPath: /data}]
EOF
  k wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$1" --timeout="$TIMEOUT" >/dev/null \
    || die "pod $1 on $2 did not complete: kubectl -n $NS describe pod $1"
}
class=$(kubectl get storageclass -o jsonpath='{range .items[?(@.metadata.annotations.storageclass\.kubernetes\.io/is-default-class=="true")]}{.metadata.name} {.provisioner} {.volumeBindingMode}{"\n"}{end}')
[[ $class == "standard rancher.io/local-path WaitForFirstConsumer" ]] \
  || die "the default StorageClass is '$class', not 'standard rancher.io/local-path WaitForFirstConsumer' (the node image's /kind/manifests/default-storage.yaml)"
ok "default StorageClass: $class"
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: $NS}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}
EOF
token="written on $node_a by pid $$ at $(date +%s%N)"
step "pod writer on $node_a writes to claim data" one_pod writer "$node_a" "echo \"$token\" >/data/token"
volume=$(k get pvc data -o jsonpath='{.spec.volumeName}')
[[ -n $volume ]] || die "claim data is not bound after its pod ran: kubectl -n $NS describe pvc data"
k delete pod writer --wait=true >/dev/null
step "pod reader on $node_a reads claim data" one_pod reader "$node_a" 'cat /data/token'
[[ $(k logs reader) == "$token" ]] || die "pod reader on $node_a read '$(k logs reader)' from claim data, not '$token'"
ok "claim data written by one pod on $node_a, read back by a new pod there"
pinned=$(kubectl get pv "$volume" -o jsonpath='{.spec.nodeAffinity.required.nodeSelectorTerms[*].matchExpressions[*].values[*]}')
[[ $pinned == "$node_a" ]] || die "volume $volume has node affinity to '$pinned', not to $node_a"
path=$(kubectl get pv "$volume" -o jsonpath='{.spec.hostPath.path}{.spec.local.path}')
[[ $path == /var/local-path-provisioner/* ]] || die "volume $volume is at '$path', not under the node's /var/local-path-provisioner"
docker exec "$node_a" test -f "$path/token" || die "volume $volume's folder $path has no file token on node container $node_a"
ok "volume $volume has node affinity to $node_a, its folder $path is on that node"
k delete pod reader --wait=true >/dev/null
k delete pvc data --wait=true >/dev/null
step "waiting for volume $volume to be deleted" kubectl wait --for=delete "pv/$volume" --timeout="$TIMEOUT" >/dev/null \
  || die "volume $volume was not deleted with its claim: kubectl describe pv $volume; kubectl -n local-path-storage logs deploy/local-path-provisioner"
# Asked on the node itself (a failing docker exec must not pass for a missing folder).
left=$(docker exec "$node_a" sh -c 'if [ -e "$1" ]; then echo present; else echo gone; fi' _ "$path")
[[ $left == gone ]] || die "volume $volume is deleted, but its folder $path is still on node container $node_a"
ok "claim deleted: volume $volume and its folder on $node_a are gone"

# 6. Deleted: nothing left.
step "deleting namespace $NS" kubectl delete namespace "$NS" --wait=true --timeout=120s >/dev/null
[[ -z $(kubectl get pods -A -l app=web -o name 2>/dev/null) ]] || die "pods of the smoke check left after deleting $NS"
ok "namespace $NS deleted, no pod left"
log "smoke check passed in $((SECONDS - started)) s"
