#!/usr/bin/env bash
# The Pulumi toolchain at the versions package.json pins, built from Go source through the Go module proxy
# and cached in $COVERAGE_SPY_CACHE/toolchain, or the user's own when it matches.
#
#   bash scripts/toolchain.sh            build or reuse what can be had; report each part
#   bash scripts/toolchain.sh --require  the same, then fail unless every part is there (a `pulumi up` needs all)
#
# Parts: the `pulumi` CLI, `pulumi-language-nodejs`, and the `docker` and `command` resource plugins.
# Prebuilt binaries of the last three can be handed in with COVERAGE_SPY_PLUGIN_DIR (files named
# pulumi-language-nodejs, pulumi-resource-docker, pulumi-resource-command); they are installed into the
# cache's PULUMI_HOME at the pinned versions.
#
# Writes $COVERAGE_SPY_CACHE/toolchain/status: one line per part, "ok PATH", "missing: REASON" (a pulumi up of
# the component cannot run) or "optional-missing: REASON" (the language host: only a plain CLI `pulumi up` of
# index.ts needs it; npm run coverage and the tests run the same program inline through the Automation API).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require=0
[ "${1:-}" = --require ] && require=1

PULUMI_VERSION="$(pinned_npm_version @pulumi/pulumi)"
DOCKER_VERSION="$(pinned_npm_version @pulumi/docker)"
COMMAND_VERSION="$(pinned_npm_version @pulumi/command)"
go_module_version() { node -p "require('$REPO_ROOT/package.json').config.pulumiGoModules.$1"; }

TOOLCHAIN="$COVERAGE_SPY_CACHE/toolchain"
BIN="$TOOLCHAIN/bin"
STATUS="$TOOLCHAIN/status"
export PULUMI_HOME="$COVERAGE_SPY_CACHE/pulumi-home"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOMODCACHE="$COVERAGE_SPY_CACHE/go/mod" GOCACHE="$COVERAGE_SPY_CACHE/go/build"
mkdir -p "$BIN" "$PULUMI_HOME"
: >"$STATUS.new"

status() { echo "$1 $2" >>"$STATUS.new"; }

# Source dir of MODULE@VERSION from the proxy; on failure prints the exact command and error, returns 1.
module_source() {
  local module="$1" version="$2" out
  if ! out="$(cd "$TOOLCHAIN" && go mod download -json "$module@$version" 2>&1)"; then
    local err
    err="$(printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).Error)}catch{console.log(s)}})')"
    log "cannot get $module@$version from the Go module proxy"
    log "  command: go mod download -json $module@$version"
    log "  error:   $err"
    return 1
  fi
  printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))'
}

stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$TOOLCHAIN/$1.stamp" 2>/dev/null)" = "$2" ]; }

# The user's own CLI, if it is the pinned version, is used as it is.
user_pulumi() {
  local p
  p="$(command -v pulumi 2>/dev/null)" || return 1
  [ "$p" != "$BIN/pulumi" ] || return 1
  [ "$("$p" version 2>/dev/null)" = "v$PULUMI_VERSION" ] || return 1
  echo "$p"
}

build_cli() {
  local work sdk pkg
  work="$(mktemp -d "$TOOLCHAIN/build.XXXXXX")"
  sdk="$(module_source github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_VERSION")" || return 1
  pkg="$(module_source github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_VERSION")" || return 1
  # pkg's go.mod replaces sdk with ../sdk: lay both out as in the repository.
  cp -r "$sdk" "$work/sdk" && cp -r "$pkg" "$work/pkg" && chmod -R u+w "$work"
  (cd "$work/pkg" && go build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$work/pulumi" ./cmd/pulumi)
  mv "$work/pulumi" "$BIN/pulumi"
  echo "v$PULUMI_VERSION" >"$TOOLCHAIN/pulumi.stamp"
  rm -rf "$work"
}

# Installs a handed-in plugin binary into PULUMI_HOME at the pinned version.
install_handed_in() {
  local kind="$1" name="$2" version="$3" file="${COVERAGE_SPY_PLUGIN_DIR:-}/pulumi-$1-$2"
  [ -n "${COVERAGE_SPY_PLUGIN_DIR:-}" ] && [ -x "$file" ] || return 1
  "$PULUMI" plugin install "$kind" "$name" "$version" --file "$file" --reinstall >/dev/null
}

plugin_installed() {
  "$PULUMI" plugin ls --json 2>/dev/null | node -e '
    let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
      const [kind,name,version]=process.argv.slice(1);
      const list=JSON.parse(s||"[]");
      process.exit(list.some(p=>p.kind===kind&&p.name===name&&p.version===version)?0:1)})' "$1" "$2" "$3"
}

# A part we have no way to build here: try the proxy so the report names the exact refusal.
plugin_part() {
  local kind="$1" name="$2" version="$3" module="$4" module_version="$5"
  if plugin_installed "$kind" "$name" "$version"; then
    status "$kind-$name" "ok $PULUMI_HOME/plugins/$kind-$name-v$version"
  elif install_handed_in "$kind" "$name" "$version"; then
    log "installed the handed-in $kind plugin $name $version"
    status "$kind-$name" "ok $PULUMI_HOME/plugins/$kind-$name-v$version"
  elif module_source "$module" "$module_version" >/dev/null; then
    status "$kind-$name" "missing: its source is available but this script has no build for it yet"
  else
    status "$kind-$name" "missing: the Go module proxy refuses $module@$module_version"
  fi
}

started=$SECONDS
if PULUMI="$(user_pulumi)"; then
  log "using your Pulumi CLI $PULUMI (v$PULUMI_VERSION)"
  export PULUMI_HOME="${USER_PULUMI_HOME:-$HOME/.pulumi}"
  echo "$PULUMI" >"$TOOLCHAIN/user-cli"
else
  rm -f "$TOOLCHAIN/user-cli"
  PULUMI="$BIN/pulumi"
  if stamp_ok pulumi "v$PULUMI_VERSION"; then
    log "Pulumi CLI v$PULUMI_VERSION: cached"
  else
    step "building the Pulumi CLI v$PULUMI_VERSION from Go source (cold: several minutes)" build_cli \
      || die "the Pulumi CLI could not be built"
  fi
fi
status pulumi "ok $PULUMI"
[ "$("$PULUMI" version)" = "v$PULUMI_VERSION" ] || die "$PULUMI reports $("$PULUMI" version), expected v$PULUMI_VERSION"

# The language host: a plugin of kind "language" in the cache, or on PATH beside the CLI.
if [ -x "$BIN/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null 2>&1; then
  status language-nodejs "ok $(command -v pulumi-language-nodejs 2>/dev/null || echo "$BIN/pulumi-language-nodejs")"
elif [ -n "${COVERAGE_SPY_PLUGIN_DIR:-}" ] && [ -x "$COVERAGE_SPY_PLUGIN_DIR/pulumi-language-nodejs" ]; then
  cp "$COVERAGE_SPY_PLUGIN_DIR/pulumi-language-nodejs" "$BIN/" && status language-nodejs "ok $BIN/pulumi-language-nodejs"
elif module_source github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 "$(go_module_version languageNodejs)" >/dev/null; then
  status language-nodejs "optional-missing: its source is available but this script has no build for it yet"
else
  # Optional: npm run coverage and the tests run the program inline (Automation API); only a plain
  # `pulumi up` of index.ts with the CLI needs the language host.
  status language-nodejs "optional-missing: the Go module proxy refuses github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@$(go_module_version languageNodejs)"
fi
plugin_part resource docker "$DOCKER_VERSION" github.com/pulumi/pulumi-docker/provider/v5 "$(go_module_version dockerProvider)"
plugin_part resource command "$COMMAND_VERSION" github.com/pulumi/pulumi-command/provider "$(go_module_version commandProvider)"

mv "$STATUS.new" "$STATUS"
log "toolchain, checked in $((SECONDS - started)) s:"
while read -r part state; do log "  $part: $state"; done <"$STATUS"
if grep -q ' missing' "$STATUS"; then
  log "a 'pulumi up' of the component needs both resource plugins; see README 'Toolchain status'"
  [ "$require" = 0 ] || exit 3
fi
