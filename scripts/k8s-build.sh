#!/usr/bin/env bash
# Builds what the local Kubernetes cluster needs, from the Go module proxy and Debian packages only (no container
# registry): run by scripts/k8s-cluster.sh build / up, which holds its lock.
#
#   bash scripts/k8s-build.sh [binaries|images|all]      (default: all)
#
# Binaries ($COVERAGE_SPY_CACHE/k8s/bin, each with NAME.stamp: versions, Go version and a hash of its build inputs):
#   Kubernetes (kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy) from a
#   wrapper module over k8s.io/kubernetes whose staging modules point at their published versions; etcd; CoreDNS
#   with the plugins kubeadm's Corefile uses; kind; local-path-provisioner (the default StorageClass); crictl only
#   with COVERAGE_SPY_K8S_CRICTL=1 (debugging inside nodes; about 1.5 min more).
# Images (each skipped while its content-hash label matches what it is built from; all labelled coverage-spy.k8s):
#   coverage-spy/k8s/node-base:trixie  kind's base files (from the kind module) + Debian packages + images/kind-node/base
#   coverage-spy/k8s/<component>:<tag> the images kubeadm runs, under the tags kubeadm asks for
#   coverage-spy/k8s/kindnet-lite:v1   the pod network (images/kind-node/kindnet-lite)
#   coverage-spy/k8s/local-path-*      the default StorageClass's provisioner and its helper pod (images/kind-node/local-path)
#   coverage-spy/k8s/node:v<k8s>       the node image: node-base + kubeadm/kubelet/kubectl + all the images above,
#                                      imported into its containerd under the names kubeadm and kind look for
set -euo pipefail
# shellcheck source=scripts/k8s-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s-env.sh"

KUBE_COMMANDS=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
WANT_CRICTL="${COVERAGE_SPY_K8S_CRICTL:-0}"
mkdir -p "$K8S_BIN" "$K8S_WORK" "$K8S_LOGS"

# ------------------------------------------------------------------------------------------------ binaries

# stamp_ok NAME KEY: $K8S_BIN/NAME was built from KEY.
stamp_ok() { [[ -x $K8S_BIN/$1 && $(cat "$K8S_BIN/$1.stamp" 2>/dev/null) == "$2" ]]; }
stamp_of() { cat "$K8S_BIN/$1.stamp" 2>/dev/null || echo none; }
sha() { sha256sum | cut -c1-16; }

# The Go commands run niced: a half-hour compile must not slow down the rest of the machine's work.
go_nice() { nice -n 10 go "$@"; }

# go_module_json MODULE@VERSION FIELD: a field of `go mod download -json` (downloads the module when missing).
go_module_json() {
  local out
  out=$(cd "$K8S_WORK" && go_nice mod download -json "$1" 2>&1) \
    || { printf '%s\n' "$out" >&2; die "cannot get $1 from the Go module proxy (go mod download -json $1)"; }
  printf '%s' "$out" | json_field "$2"
}

kube_minor() { local rest="${K8S_VERSION#*.}"; echo "${rest%%.*}"; }

kube_ldflags() {
  local flags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(kube_minor)"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=0000000000000000000000000000000000000000"
    flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

kube_tools_go() {
  printf '//go:build tools\n\npackage kbuild\n\nimport (\n'
  printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "${KUBE_COMMANDS[@]}"
  printf ')\n'
}

kube_key() {
  echo "kubernetes v$K8S_VERSION $(go env GOVERSION) $({ kube_tools_go; kube_ldflags; } | sha)"
}

kube_binaries_ok() {
  local command
  for command in "${KUBE_COMMANDS[@]}"; do [[ -x $K8S_BIN/$command ]] || return 1; done
  [[ $(cat "$K8S_BIN/kubernetes.stamp" 2>/dev/null) == "$1" ]]
}

# k8s.io/kubernetes cannot be built as a dependency as it is: its go.mod points its staging modules (k8s.io/api,
# client-go, ...) at folders of its own repository. The wrapper module points each at its published version.
write_kube_module() {
  local dir="$1" kube_mod staging
  kube_mod=$(go_module_json "k8s.io/kubernetes@v$K8S_VERSION" GoMod)
  staging="v0.$(kube_minor).${K8S_VERSION##*.}"
  {
    printf 'module kbuild\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$K8S_VERSION"
    awk -v v="$staging" '/=> \.\/staging\// { print "\t" $1 " => " $1 " " v }' "$kube_mod"
    printf ')\n'
  } >"$dir/go.mod"
  kube_tools_go >"$dir/tools.go"
}

build_kubernetes() {
  local dir="$K8S_WORK/kubernetes" out="$K8S_WORK/kubernetes-bin" packages=() command
  mkdir -p "$dir" && rm -f "$dir/go.sum" && rm -rf "$out"
  write_kube_module "$dir"
  for command in "${KUBE_COMMANDS[@]}"; do packages+=("k8s.io/kubernetes/cmd/$command"); done
  (cd "$dir" && logged "$K8S_LOGS/kubernetes-tidy.log" go_nice mod tidy) || return
  (cd "$dir" && logged "$K8S_LOGS/kubernetes-build.log" \
    go_nice build -trimpath -ldflags "$(kube_ldflags)" -o "$out/" "${packages[@]}") || return
  mv "$out"/* "$K8S_BIN/" && rmdir "$out"
}

etcd_key() { echo "etcd $ETCD_VERSION $(go env GOVERSION)"; }
build_etcd() {
  local dir="$K8S_WORK/etcd" module
  mkdir -p "$dir" && rm -f "$dir/go.sum"
  {
    printf 'module etcdbuild\n\ngo 1.24.0\n\nrequire (\n'
    for module in server api client/pkg client pkg; do printf '\tgo.etcd.io/etcd/%s/v3 %s\n' "$module" "$ETCD_VERSION"; done
    printf ')\n'
  } >"$dir/go.mod"
  printf '//go:build tools\n\npackage etcdbuild\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$dir/tools.go"
  # shellcheck disable=SC2016 # expanded by the inner bash
  (cd "$dir" && logged "$K8S_LOGS/etcd-build.log" bash -c \
    'nice -n 10 go mod tidy && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$1" go.etcd.io/etcd/server/v3' \
    _ "$K8S_BIN/etcd")
}

coredns_main_go() {
  printf 'package main\n\nimport (\n\t"github.com/coredns/coredns/coremain"\n'
  printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "${COREDNS_PLUGINS[@]}"
  printf ')\n\nfunc main() { coremain.Run() }\n'
}
coredns_key() { echo "coredns $COREDNS_VERSION $(go env GOVERSION) $(coredns_main_go | sha)"; }
build_coredns() {
  local dir="$K8S_WORK/coredns"
  mkdir -p "$dir" && rm -f "$dir/go.sum"
  printf 'module corednsbuild\n\ngo 1.24.0\n\nrequire github.com/coredns/coredns %s\n' "$COREDNS_VERSION" >"$dir/go.mod"
  coredns_main_go >"$dir/main.go"
  # shellcheck disable=SC2016 # expanded by the inner bash
  (cd "$dir" && logged "$K8S_LOGS/coredns-build.log" bash -c \
    'nice -n 10 go mod tidy && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$1" .' _ "$K8S_BIN/coredns")
}

# `go install MODULE@VERSION` builds outside any module: -mod must not be set.
go_install() {
  (cd "$K8S_WORK" && GOBIN="$K8S_BIN" GOFLAGS=-buildvcs=false logged "$K8S_LOGS/$1-build.log" \
    nice -n 10 go install -trimpath -ldflags "$2" "$3")
}
kind_key() { echo "kind $KIND_VERSION $(go env GOVERSION)"; }
build_kind() { go_install kind "-s -w" "sigs.k8s.io/kind@$KIND_VERSION"; }
local_path_provisioner_key() { echo "local-path-provisioner $LOCAL_PATH_VERSION $(go env GOVERSION)"; }
build_local_path_provisioner() {
  go_install local-path-provisioner "-s -w -X main.VERSION=$LOCAL_PATH_VERSION" \
    "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION"
}
crictl_key() { echo "crictl $CRICTL_VERSION $(go env GOVERSION)"; }
build_crictl() {
  go_install crictl "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
}

# binary NAME LABEL: builds NAME with build_NAME unless its stamp matches NAME_key (- in NAME is _ in the functions).
binary() {
  local name="$1" label="$2" key
  key=$("${name//-/_}_key")
  if stamp_ok "$name" "$key"; then
    log "$name: cached ($key)"
    return 0
  fi
  step "building $label" heartbeat "$name build" "build_${name//-/_}" || die "building $name failed (logs in $K8S_LOGS)"
  echo "$key" >"$K8S_BIN/$name.stamp"
}

build_binaries() {
  k8s_go_env
  local key
  key=$(kube_key)
  if kube_binaries_ok "$key"; then
    log "Kubernetes v$K8S_VERSION binaries: cached ($key)"
  else
    step "building Kubernetes v$K8S_VERSION (7 commands; cold: 15-40 min, 4 GB of Go caches)" \
      heartbeat "Kubernetes build" build_kubernetes || die "building Kubernetes failed (logs in $K8S_LOGS)"
    echo "$key" >"$K8S_BIN/kubernetes.stamp"
  fi
  binary etcd "etcd $ETCD_VERSION (cold: 1-2 min)"
  binary coredns "CoreDNS $COREDNS_VERSION with ${#COREDNS_PLUGINS[@]} plugins (cold: 2-4 min)"
  binary kind "kind $KIND_VERSION"
  binary local-path-provisioner "local-path-provisioner $LOCAL_PATH_VERSION (cold: 1-2 min)"
  if [[ $WANT_CRICTL == 1 ]]; then
    binary crictl "crictl $CRICTL_VERSION"
  else
    log "crictl: skipped (debugging only; COVERAGE_SPY_K8S_CRICTL=1 builds it into the node image)"
  fi
}

# ------------------------------------------------------------------------------------------------ images

# build_image IMAGE HASH CONTEXT WHAT [docker build options...]: docker build, labelled, the previous build pruned.
build_image() {
  local image="$1" hash="$2" context="$3" what="$4"
  shift 4
  logged "$K8S_LOGS/image-$what.log" docker build --label "$K8S_LABEL=$what" --label "$HASH_LABEL=$hash" \
    --label "coverage-spy.image=k8s-$what" -t "$image" "$@" "$context" || return
  docker image prune -f --filter "label=coverage-spy.image=k8s-$what" >/dev/null 2>&1 || true
}

base_image_id() {
  image_exists "$K8S_BASE_IMAGE" \
    || step "building $K8S_BASE_IMAGE (debootstrap)" bash "$REPO_ROOT/scripts/base-images.sh" "$K8S_DEBIAN_SUITE" \
    || die "$K8S_BASE_IMAGE could not be built: see above"
  image_id "$K8S_BASE_IMAGE"
}

build_node_base() {
  local hash context kind_dir
  hash=$(content_hash "$K8S_FILES/base" "kind=$KIND_VERSION" "base=$BASE_ID")
  if [[ $(image_hash "$K8S_NODE_BASE_IMAGE") == "$hash" ]]; then
    log "$K8S_NODE_BASE_IMAGE: current"
    return 0
  fi
  kind_dir=$(go_module_json "sigs.k8s.io/kind@$KIND_VERSION" Dir)
  context="$K8S_WORK/node-base"
  rm -rf "$context" && mkdir -p "$context"
  cp -r "$kind_dir/images/base/files" "$context/files" && chmod -R u+w,a+rX "$context/files"
  cp "$K8S_FILES/base/"* "$context/"
  step "docker build $K8S_NODE_BASE_IMAGE (Debian $K8S_DEBIAN_SUITE: systemd, containerd, runc, CNI plugins)" \
    build_image "$K8S_NODE_BASE_IMAGE" "$hash" "$context" node-base --build-arg "BASE_IMAGE=$K8S_BASE_IMAGE" \
    || die "the node base image could not be built"
}

# The images kubeadm runs, one "NAME TAG REFERENCE" a line (NAME: the last part of the repository).
kubeadm_images() {
  "$K8S_BIN/kubeadm" config images list --kubernetes-version "v$K8S_VERSION" 2>/dev/null \
    | awk '{ n = split($1, part, "/"); split(part[n], nt, ":"); print nt[1], nt[2], $1 }'
}

# The pause image kind's containerd starts pod sandboxes with (its config.toml's sandbox_image).
kind_sandbox_image() {
  local kind_dir
  kind_dir=$(go_module_json "sigs.k8s.io/kind@$KIND_VERSION" Dir)
  sed -n 's/^ *sandbox_image *= *"\([^"]*\)".*/\1/p' "$kind_dir/images/base/files/etc/containerd/config.toml"
}

# component_binary NAME: the binary a kubeadm image runs ("" for pause, which is compiled here).
component_binary() {
  case "$1" in
    kube-apiserver | kube-controller-manager | kube-scheduler | kube-proxy) echo "$1 kubernetes" ;;
    etcd) echo "etcd etcd" ;;
    coredns) echo "coredns coredns" ;;
    pause) echo "" ;;
    *) die "kubeadm v$K8S_VERSION lists an image this script does not know how to build: $1" ;;
  esac
}

build_component() {
  local name="$1" tag="$2" image="$K8S_IMAGE_PREFIX/$1:$2" binary stamp apt_packages="" hash context
  read -r binary stamp <<<"$(component_binary "$name")"
  [[ -n $binary ]] || exit 1 # component_binary said why
  [[ $name == kube-proxy ]] && apt_packages="iptables conntrack nftables kmod"
  hash=$(content_hash "$K8S_FILES/component" "$name" "$(stamp_of "$stamp")" "base=$BASE_ID" "$apt_packages")
  if [[ $(image_hash "$image") == "$hash" ]]; then
    log "$image: current"
    return 0
  fi
  context="$K8S_WORK/images/$name"
  rm -rf "$context" && mkdir -p "$context"
  cp "$K8S_FILES/component/Dockerfile" "$context/" && cp "$K8S_BIN/$binary" "$context/$binary"
  step "docker build $image" build_image "$image" "$hash" "$context" "$name" --build-arg "BASE_IMAGE=$K8S_BASE_IMAGE" \
    --build-arg "BINARY=$binary" --build-arg "PACKAGES=$apt_packages" || die "the $name image could not be built"
  rm -rf "$context"
}

# The pause container, compiled from Kubernetes' own pause.c: a static binary in an empty image.
build_pause() {
  local tag="$1" image="$K8S_IMAGE_PREFIX/pause:$1" hash context source
  hash=$(content_hash "$K8S_FILES/pause" "k8s=$K8S_VERSION" "$(gcc -dumpfullversion 2>/dev/null || echo no-gcc)")
  if [[ $(image_hash "$image") == "$hash" ]]; then
    log "$image: current"
    return 0
  fi
  command -v gcc >/dev/null || apt_install gcc libc6-dev
  source="$(go_module_json "k8s.io/kubernetes@v$K8S_VERSION" Dir)/build/pause/linux/pause.c"
  context="$K8S_WORK/images/pause"
  rm -rf "$context" && mkdir -p "$context"
  cp "$K8S_FILES/pause/Dockerfile" "$context/"
  if ! gcc -Os -static -DVERSION="v$K8S_VERSION-coverage-spy" -o "$context/pause" "$source"; then
    die "gcc could not compile $source statically (apt-get install gcc libc6-dev)"
  fi
  strip "$context/pause"
  step "docker build $image" build_image "$image" "$hash" "$context" pause || die "the pause image could not be built"
  rm -rf "$context"
}

kindnet_image() { awk '$1 == "image:" { print $2; exit }' "$K8S_FILES/kindnet-lite/manifest.yaml"; }

build_kindnet() {
  local image hash context
  image=$(kindnet_image)
  hash=$(content_hash "$K8S_FILES/kindnet-lite" "$(stamp_of kubernetes)" "base=$BASE_ID")
  if [[ $(image_hash "$image") == "$hash" ]]; then
    log "$image: current"
    return 0
  fi
  context="$K8S_WORK/images/kindnet-lite"
  rm -rf "$context" && mkdir -p "$context"
  cp "$K8S_FILES/kindnet-lite/"* "$context/" && cp "$K8S_BIN/kubectl" "$context/"
  step "docker build $image" build_image "$image" "$hash" "$context" kindnet-lite \
    --build-arg "BASE_IMAGE=$K8S_BASE_IMAGE" || die "the kindnet-lite image could not be built"
  rm -rf "$context"
}

# The default StorageClass as kind ships it: local-path-provisioner in the component image, its helper pod's image,
# and kind's own manifest (read from the kind module) naming our two images.
LOCAL_PATH_IMAGE="$K8S_IMAGE_PREFIX/local-path-provisioner:$LOCAL_PATH_VERSION"
LOCAL_PATH_HELPER_IMAGE="$K8S_IMAGE_PREFIX/local-path-helper:v1"
STORAGE_MANIFEST="$K8S_WORK/default-storage.yaml"

build_local_path() {
  local hash context
  hash=$(content_hash "$K8S_FILES/component" local-path-provisioner "$(stamp_of local-path-provisioner)" "base=$BASE_ID")
  if [[ $(image_hash "$LOCAL_PATH_IMAGE") == "$hash" ]]; then
    log "$LOCAL_PATH_IMAGE: current"
  else
    context="$K8S_WORK/images/local-path-provisioner"
    rm -rf "$context" && mkdir -p "$context"
    cp "$K8S_FILES/component/Dockerfile" "$K8S_BIN/local-path-provisioner" "$context/"
    step "docker build $LOCAL_PATH_IMAGE" build_image "$LOCAL_PATH_IMAGE" "$hash" "$context" local-path-provisioner \
      --build-arg "BASE_IMAGE=$K8S_BASE_IMAGE" --build-arg BINARY=local-path-provisioner \
      || die "the local-path-provisioner image could not be built"
    rm -rf "$context"
  fi
  hash=$(content_hash "$K8S_FILES/local-path" "base=$BASE_ID")
  if [[ $(image_hash "$LOCAL_PATH_HELPER_IMAGE") == "$hash" ]]; then
    log "$LOCAL_PATH_HELPER_IMAGE: current"
  else
    step "docker build $LOCAL_PATH_HELPER_IMAGE" build_image "$LOCAL_PATH_HELPER_IMAGE" "$hash" "$K8S_FILES/local-path" \
      local-path-helper -f "$K8S_FILES/local-path/helper.Dockerfile" --build-arg "BASE_IMAGE=$K8S_BASE_IMAGE" \
      || die "the local-path helper image could not be built"
  fi
}

# kind's storage manifest is a Go string in its node-image builder, with the two image names spliced in: print it
# with ours instead.
storage_manifest() {
  local source
  source="$(go_module_json "sigs.k8s.io/kind@$KIND_VERSION" Dir)/pkg/build/nodeimage/const_storage.go"
  awk -v provisioner="$LOCAL_PATH_IMAGE" -v helper="$LOCAL_PATH_HELPER_IMAGE" '
    /^const defaultStorageManifest = `/ { inside = 1; next }
    inside && /^`/ { exit }
    inside { gsub(/` \+ storageProvisionerImage \+ `/, provisioner); gsub(/` \+ storageHelperImage \+ `/, helper); print }
  ' "$source"
}

write_storage_manifest() {
  storage_manifest >"$STORAGE_MANIFEST.new"
  # What the rest relies on: both images ours, nothing left of the Go splicing, volumes under the node's /var.
  if ! grep -q "image: $LOCAL_PATH_IMAGE\$" "$STORAGE_MANIFEST.new" || ! grep -q "image: $LOCAL_PATH_HELPER_IMAGE\$" "$STORAGE_MANIFEST.new" \
    || grep -q '`' "$STORAGE_MANIFEST.new" || ! grep -q '"/var/local-path-provisioner"' "$STORAGE_MANIFEST.new"; then
    die "kind $KIND_VERSION's storage manifest (pkg/build/nodeimage/const_storage.go) is not laid out as this script expects: see $STORAGE_MANIFEST.new and adapt storage_manifest in scripts/k8s-build.sh"
  fi
  mv "$STORAGE_MANIFEST.new" "$STORAGE_MANIFEST"
}

# "HOST_IMAGE NODE_NAME" a line: what goes into the node's containerd, and under which name kubelet looks for it.
node_image_list() {
  local name tag reference sandbox
  while read -r name tag reference; do
    echo "$K8S_IMAGE_PREFIX/$name:$tag $reference"
    if [[ $name == pause ]]; then
      sandbox=$(kind_sandbox_image)
      [[ -n $sandbox && $sandbox != "$reference" ]] && echo "$K8S_IMAGE_PREFIX/$name:$tag $sandbox"
    fi
  done < <(kubeadm_images)
  echo "$(kindnet_image) -"
  echo "$LOCAL_PATH_IMAGE -"
  echo "$LOCAL_PATH_HELPER_IMAGE -"
}

# imported_ref NAME: the line of stdin (image references) that ends with /NAME.
imported_ref() { awk -v name="/$1" 'substr($0, length($0) - length(name) + 1) == name { print; exit }'; }

# What `kind build node-image` does, minus its registry pulls: the node base with the Kubernetes binaries and the
# images imported into its containerd, committed. Runs in CONTAINER (a node-base container sleeping).
assemble_node() {
  local container="$1" list="$2" host node binary refs ref
  for binary in kubeadm kubelet kubectl; do docker cp "$K8S_BIN/$binary" "$container:/usr/bin/$binary"; done
  if [[ $WANT_CRICTL == 1 ]]; then docker cp "$K8S_BIN/crictl" "$container:/usr/local/bin/crictl"; fi
  docker exec "$container" sh -c 'chown root:root /usr/bin/kube* && chmod 755 /usr/bin/kube* \
    && printf %s "$1" >/kind/version && mkdir -p /kind/manifests' _ "v$K8S_VERSION"
  docker cp "$K8S_FILES/kindnet-lite/manifest.yaml" "$container:/kind/manifests/default-cni.yaml"
  # kind create cluster applies this one instead of its fallback (an in-tree host-path class in the node's /tmp).
  docker cp "$STORAGE_MANIFEST" "$container:/kind/manifests/default-storage.yaml"
  docker exec -d "$container" sh -c 'exec containerd >/tmp/containerd.log 2>&1'
  docker exec "$container" sh -c 'for i in $(seq 100); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done
    cat /tmp/containerd.log; exit 1' || { log "containerd did not start in the node build container"; return 1; }
  # shellcheck disable=SC2046 # one word per image
  docker save $(cut -d' ' -f1 "$list" | sort -u) \
    | docker exec -i "$container" ctr -n k8s.io images import --all-platforms --no-unpack --digests - >/dev/null
  # ctr names the imported images by their full reference: find each by its docker name's ending.
  refs=$(docker exec "$container" ctr -n k8s.io images ls -q)
  while read -r host node; do
    [[ $node == - ]] && continue
    ref=$(imported_ref "$host" <<<"$refs")
    [[ -n $ref ]] || { log "$host is not in the node's containerd after the import"; return 1; }
    docker exec "$container" ctr -n k8s.io images tag --force "$ref" "$node" >/dev/null || return
  done <"$list"
  while read -r host node; do
    [[ $node == - ]] || docker exec "$container" ctr -n k8s.io images rm "$(imported_ref "$host" <<<"$refs")" >/dev/null
  done < <(sort -u -k1,1 "$list")
  docker exec "$container" sh -c 'pkill -x containerd; for i in $(seq 100); do pgrep -x containerd >/dev/null || exit 0; sleep 0.1; done; exit 1' \
    || { log "containerd did not stop in the node build container"; return 1; }
  docker exec "$container" rm -f /tmp/containerd.log
}

build_node() {
  local list="$K8S_WORK/node-images.txt" hash host ids="" container="$K8S_CLUSTER-node-build" entrypoint
  node_image_list >"$list.new" && mv "$list.new" "$list"
  write_storage_manifest
  while read -r host; do ids+="$host=$(image_id "$host") "; done < <(cut -d' ' -f1 "$list" | sort -u)
  hash=$({
    echo "base=$(image_id "$K8S_NODE_BASE_IMAGE") $ids"
    cat "$list" "$K8S_FILES/kindnet-lite/manifest.yaml" "$STORAGE_MANIFEST"
    stamp_of kubernetes
    [[ $WANT_CRICTL == 1 ]] && stamp_of crictl
    declare -f assemble_node
  } | sha)
  if [[ $(image_hash "$K8S_NODE_IMAGE") == "$hash" ]]; then
    log "$K8S_NODE_IMAGE: current"
    return 0
  fi
  docker rm -f "$container" >/dev/null 2>&1 || true
  docker run -d --name "$container" --label "$K8S_LABEL=node-build" --entrypoint sleep "$K8S_NODE_BASE_IMAGE" infinity >/dev/null
  if ! step "assembling the node image $K8S_NODE_IMAGE ($(wc -l <"$list") images into its containerd)" \
    assemble_node "$container" "$list"; then
    docker rm -f "$container" >/dev/null 2>&1 || true
    die "the node image could not be assembled (see above)"
  fi
  entrypoint=$(docker image inspect -f '{{json .Config.Entrypoint}}' "$K8S_NODE_BASE_IMAGE")
  docker commit --change "ENTRYPOINT $entrypoint" --change 'CMD []' --change "LABEL $K8S_LABEL=node" \
    --change "LABEL $HASH_LABEL=$hash" --change "LABEL coverage-spy.image=k8s-node" "$container" "$K8S_NODE_IMAGE" >/dev/null
  docker rm -f "$container" >/dev/null
  docker image prune -f --filter "label=coverage-spy.image=k8s-node" >/dev/null 2>&1 || true
}

build_images() {
  k8s_go_env
  docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run scripts/docker-engine.sh"
  BASE_ID=$(base_image_id)
  build_node_base
  local images name tag reference
  images=$(kubeadm_images)
  [[ -n $images ]] || die "'$K8S_BIN/kubeadm config images list --kubernetes-version v$K8S_VERSION' lists no images"
  while read -r name tag reference; do
    if [[ $name == pause ]]; then build_pause "$tag"; else build_component "$name" "$tag"; fi
  done <<<"$images"
  build_kindnet
  build_local_path
  build_node
}

started=$SECONDS
case "${1:-all}" in
  binaries) build_binaries ;;
  images) build_images ;;
  all) build_binaries && build_images ;;
  *) die "usage: scripts/k8s-build.sh [binaries|images|all]" ;;
esac
log "k8s build checked in $((SECONDS - started)) s"
