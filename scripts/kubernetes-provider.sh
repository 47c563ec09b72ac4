#!/usr/bin/env bash
# The Pulumi Kubernetes resource plugin (pulumi-resource-kubernetes) 4.25.0, built from the Go module proxy and
# installed into the PULUMI_HOME the project's Pulumi runs with (scripts/pulumi-env.sh). Idempotent: skipped while
# that version is installed there; the built binary is cached ($COVERAGE_SPY_CACHE/k8s/provider).
#
#   bash scripts/kubernetes-provider.sh        (run scripts/toolchain.sh first: it provides the `pulumi` CLI)
#
# Why 4.25.0 exactly: the provider's module on the proxy has one usable version, a pseudo-version that is the
# v4.25.0 release commit; later releases' schemas cannot be had offline, and a plugin must match the version of
# the @pulumi/kubernetes npm SDK that drives it. The build (cold: 15-40 min, about 4 GB of memory for its largest
# compile, 5 GB of Go build cache; warm: seconds):
#   1. the provider module's source at the pseudo-version, copied to a writable folder;
#   2. its Go SDK replaced by sdk/v4 v4.25.0 (the release's version-stamped SDK: with another one, the components
#      the plugin implements in Go, yaml.v2.ConfigGroup for one, would ask the engine for a plugin of another version);
#   3. `go generate` with VERSION=4.25.0 embeds the committed schema (offline);
#   4. `go build` with the version stamped in (ldflags).
set -euo pipefail
# shellcheck source=scripts/k8s-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s-env.sh"

PROVIDER_VERSION=4.25.0
# The v4.25.0 release commit, as the Go module proxy names it (the provider module has no tagged v4 release there).
PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
PROVIDER_PSEUDO_VERSION=v4.0.0-20260115033456-f47bc2d6f199
SDK_MODULE=github.com/pulumi/pulumi-kubernetes/sdk/v4
PROVIDER_DIR="$K8S_CACHE/provider"
BINARY="$PROVIDER_DIR/pulumi-resource-kubernetes"

# Once package.json pins @pulumi/kubernetes, it must be the version this script can build.
if pinned=$(pinned_npm_version @pulumi/kubernetes 2>/dev/null) && [[ $pinned != "$PROVIDER_VERSION" ]]; then
  die "package.json pins @pulumi/kubernetes $pinned, but only $PROVIDER_VERSION can be built offline (see scripts/kubernetes-provider.sh): pin $PROVIDER_VERSION"
fi

# The same CLI and PULUMI_HOME as scripts/pulumi-env.sh: the user's own CLI when scripts/toolchain.sh chose it.
if [[ -f $COVERAGE_SPY_CACHE/toolchain/user-cli ]]; then
  PULUMI=$(<"$COVERAGE_SPY_CACHE/toolchain/user-cli")
  export PULUMI_HOME="${USER_PULUMI_HOME:-$HOME/.pulumi}"
else
  PULUMI="$COVERAGE_SPY_CACHE/toolchain/bin/pulumi"
  export PULUMI_HOME="$COVERAGE_SPY_CACHE/pulumi-home"
fi
[[ -x $PULUMI ]] || die "no Pulumi CLI at $PULUMI: run scripts/toolchain.sh first"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
INSTALLED="$PULUMI_HOME/plugins/resource-kubernetes-v$PROVIDER_VERSION/pulumi-resource-kubernetes"

plugin_installed() {
  "$PULUMI" plugin ls --json 2>/dev/null \
    | node "$COVERAGE_SPY_HELPERS/json-query.js" has-plugin resource kubernetes "$PROVIDER_VERSION"
}

build_key() { echo "$PROVIDER_MODULE@$PROVIDER_PSEUDO_VERSION sdk $PROVIDER_VERSION $(go env GOVERSION)"; }

build_provider() {
  local work="$PROVIDER_DIR/work" source out
  out=$(cd "$K8S_CACHE" && nice -n 10 go mod download -json "$PROVIDER_MODULE@$PROVIDER_PSEUDO_VERSION" 2>&1) \
    || { printf '%s\n' "$out" >&2; log "cannot get $PROVIDER_MODULE@$PROVIDER_PSEUDO_VERSION from the Go module proxy"; return 1; }
  source=$(printf '%s' "$out" | json_field Dir)
  rm -rf "$work" && mkdir -p "$PROVIDER_DIR" && cp -r "$source" "$work" && chmod -R u+w "$work" || return
  (cd "$work" && go mod edit -replace "$SDK_MODULE=$SDK_MODULE@v$PROVIDER_VERSION") || return
  (cd "$work/cmd/pulumi-resource-kubernetes" && VERSION="$PROVIDER_VERSION" \
    logged "$K8S_LOGS/provider-generate.log" nice -n 10 go generate main.go) || return
  (cd "$work" && logged "$K8S_LOGS/provider-build.log" nice -n 10 go build -trimpath \
    -ldflags "-X $PROVIDER_MODULE/pkg/version.Version=$PROVIDER_VERSION -s -w" \
    -o "$BINARY.new" ./cmd/pulumi-resource-kubernetes) || return
  mv "$BINARY.new" "$BINARY"
  rm -rf "$work"
}

started=$SECONDS
if plugin_installed; then
  if cmp -s "$BINARY" "$INSTALLED"; then
    log "pulumi-resource-kubernetes $PROVIDER_VERSION: installed ($INSTALLED)"
  else
    log "pulumi-resource-kubernetes $PROVIDER_VERSION: installed, not built here ($INSTALLED): used as it is"
  fi
  exit 0
fi
k8s_go_env
mkdir -p "$PROVIDER_DIR" "$K8S_LOGS"
key=$(build_key)
if [[ -x $BINARY && $(cat "$BINARY.stamp" 2>/dev/null) == "$key" ]]; then
  log "pulumi-resource-kubernetes $PROVIDER_VERSION: cached build ($BINARY)"
else
  step "building pulumi-resource-kubernetes $PROVIDER_VERSION from the Go module proxy (cold: 15-40 min, about 4 GB of memory)" \
    heartbeat "provider build" build_provider \
    || die "building pulumi-resource-kubernetes failed (logs: $K8S_LOGS/provider-*.log; its folder: $PROVIDER_DIR/work)"
  echo "$key" >"$BINARY.stamp"
fi
"$PULUMI" plugin install resource kubernetes "$PROVIDER_VERSION" --file "$BINARY" --reinstall >/dev/null \
  || die "pulumi plugin install resource kubernetes $PROVIDER_VERSION --file $BINARY failed (PULUMI_HOME=$PULUMI_HOME)"
plugin_installed || die "pulumi plugin ls does not list resource kubernetes $PROVIDER_VERSION after installing it (PULUMI_HOME=$PULUMI_HOME)"
log "pulumi-resource-kubernetes $PROVIDER_VERSION installed into $PULUMI_HOME in $((SECONDS - started)) s"
