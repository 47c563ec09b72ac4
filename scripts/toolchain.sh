#!/usr/bin/env bash
# The Pulumi toolchain at the versions package.json pins, or the user's own when it matches.
#
#   bash scripts/toolchain.sh                    build or reuse every part; fail naming what is missing
#   bash scripts/toolchain.sh --nodejs-only      the parts this repository's own program runs with (npm run coverage):
#                                                no Python or YAML language host
#
# Parts: the `pulumi` CLI, the `pulumi-language-nodejs` language host (with `pulumi-resource-pulumi-nodejs`
# beside it), the `pulumi-language-python` host (with `pulumi-language-python-exec` and
# `pulumi-resource-pulumi-python`) and the `pulumi-language-yaml` host for Python and YAML programs that use the
# component, and the `docker` and `command` resource plugins at exactly the versions of their npm SDKs
# (the engine loads no other version).
#
# Where each part comes from, first match wins:
# - the user's own `pulumi` on PATH at the pinned version, with its plugins in USER_PULUMI_HOME or ~/.pulumi;
# - a cached build in $COVERAGE_SPY_CACHE/toolchain, keyed by version and source checksum (seconds when warm);
# - a build from source: the CLI from the Go module proxy's pulumi `pkg`/`sdk` modules; the plugins and the
#   language hosts from the release archives in $COVERAGE_SPY_UPSTREAM_DIR (default ../shared/upstream beside
#   the repo), each verified against the sha256 that package.json's config.upstreamArchives pins.
# Plugins are installed into the PULUMI_HOME that scripts/pulumi-env.sh gives the engine.
#
# Writes $COVERAGE_SPY_CACHE/toolchain/status: one line per part, "ok PATH" or "missing: REASON".
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  "") other_languages=true ;;
  --nodejs-only) other_languages=false ;;
  *) die "usage: scripts/toolchain.sh [--nodejs-only]" ;;
esac
PULUMI_VERSION="$(pinned_npm_version @pulumi/pulumi)"
DOCKER_VERSION="$(pinned_npm_version @pulumi/docker)"
COMMAND_VERSION="$(pinned_npm_version @pulumi/command)"
# The archives package.json pins, read once: a warm check should take well under a second.
declare -A ARCHIVE_SHA=()
while read -r name sha; do
  ARCHIVE_SHA[$name]=$sha
done < <(package_json archives)

TOOLCHAIN="$COVERAGE_SPY_CACHE/toolchain"
BIN="$TOOLCHAIN/bin"
# Plugin builds stay off PATH: the engine would use a plugin found on PATH at any version, with a warning.
PLUGIN_BUILDS="$TOOLCHAIN/plugin-builds"
STATUS="$TOOLCHAIN/status"
UPSTREAM_DIR="${COVERAGE_SPY_UPSTREAM_DIR:-$(cd "$REPO_ROOT/.." && pwd)/shared/upstream}"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
export GOMODCACHE="$COVERAGE_SPY_CACHE/go/mod" GOCACHE="$COVERAGE_SPY_CACHE/go/build"
mkdir -p "$BIN" "$PLUGIN_BUILDS"
: >"$STATUS.new"

status() { echo "$1 $2" >>"$STATUS.new"; }

# The user's own CLI, if it is the pinned version, is used as it is.
user_pulumi() {
  local p
  p="$(command -v pulumi 2>/dev/null)" || return 1
  [ "$p" != "$BIN/pulumi" ] || return 1
  [ "$("$p" version 2>/dev/null)" = "v$PULUMI_VERSION" ] || return 1
  echo "$p"
}

# stamp_ok FILE KEY: the cached build FILE was made from KEY (version and source checksum).
stamp_ok() { [ -x "$1" ] && [ "$(cat "$1.stamp" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$1.stamp"; }

# go_build SRC_DIR OUTPUT VERSION_VARIABLE VERSION PACKAGE: a static, trimmed build with the version stamped in.
go_build() {
  (cd "$1" && go build -trimpath -ldflags "-X $3=$4 -s -w" -o "$2" "$5")
}

build_cli() {
  local work sdk pkg
  work="$(mktemp -d "$TOOLCHAIN/build.XXXXXX")"
  sdk="$(go_module_dir github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_VERSION")" || return 1
  pkg="$(go_module_dir github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_VERSION")" || return 1
  # pkg's go.mod replaces sdk with ../sdk: lay both out as in the repository.
  cp -r "$sdk" "$work/sdk" && cp -r "$pkg" "$work/pkg" && chmod -R u+w "$work"
  go_build "$work/pkg" "$work/pulumi" github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "v$PULUMI_VERSION" ./cmd/pulumi
  mv "$work/pulumi" "$BIN/pulumi"
  rm -rf "$work"
}

# Source dir of MODULE@VERSION from the Go module proxy; on failure says the command and the error.
go_module_dir() {
  local out
  if ! out="$(cd "$TOOLCHAIN" && go mod download -json "$1@$2" 2>&1)"; then
    log "cannot get $1@$2 from the Go module proxy (go mod download -json $1@$2):"
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf '%s' "$out" | json_field Dir
}

# The sha256 package.json pins for an upstream archive (empty when none is pinned).
pinned_archive_sha() { echo "${ARCHIVE_SHA[$1]:-}"; }

# The pinned archive whose name starts with PREFIX (the Terraform provider's is named by its commit).
archive_named() {
  local name
  for name in "${!ARCHIVE_SHA[@]}"; do
    [[ "$name" == "$1"* ]] && { echo "$name"; return; }
  done
}

# archive FILE: prints the archive's path after checking that it matches its pinned sha256.
archive() {
  local file="$UPSTREAM_DIR/$1" want got
  want="$(pinned_archive_sha "$1")"
  [ -n "$want" ] || die "package.json pins no sha256 for $1 (config.upstreamArchives)"
  got="$(sha256sum "$file" | cut -d' ' -f1)"
  [ "$got" = "$want" ] || die "$file has sha256 $got, but package.json pins $want: refusing to build from it"
  echo "$file"
}

# unpack ARCHIVE DIR: the archive's single top-level folder, unpacked into DIR.
unpack() { mkdir -p "$2" && tar -xzf "$1" -C "$2" --strip-components=1; }

build_docker_plugin() {
  local work="$1" provider_archive="$2" terraform_archive="$3" patch_file
  unpack "$provider_archive" "$work"
  # provider/go.mod replaces the Terraform provider with ../upstream, patched as upstream's build does.
  unpack "$terraform_archive" "$work/upstream"
  for patch_file in "$work"/patches/*.patch; do
    patch -p1 -s -d "$work/upstream" <"$patch_file"
  done
  # Embeds the committed schema.json into the provider; offline.
  (cd "$work/provider" && VERSION="$DOCKER_VERSION" go generate cmd/pulumi-resource-docker/main.go)
  go_build "$work/provider" "$work/pulumi-resource-docker" \
    github.com/pulumi/pulumi-docker/provider/v4/pkg/version.Version "$DOCKER_VERSION" ./cmd/pulumi-resource-docker
}

build_command_plugin() {
  local work="$1" archive="$2"
  unpack "$archive" "$work"
  go_build "$work/provider" "$work/pulumi-resource-command" \
    github.com/pulumi/pulumi-command/provider/pkg/version.Version "$COMMAND_VERSION" ./cmd/pulumi-resource-command
}

# A builder leaves its binary in WORK/NAME and the scripts that must sit beside it in WORK/beside/.
build_language_host() {
  local work="$1" archive="$2"
  unpack "$archive" "$work"
  # Its go.mod replaces pkg and sdk by relative paths, which the archive lays out.
  go_build "$work/sdk/nodejs/cmd/pulumi-language-nodejs" "$work/pulumi-language-nodejs" \
    github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "v$PULUMI_VERSION" .
  mkdir -p "$work/beside" && cp "$work/sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$work/beside/"
}

# The builders below run where `set -e` does not apply (under `step ... ||`): each step stops them itself.
build_python_host() {
  local work="$1" nodejs_archive="$2" python_archive="$3" host
  # The host's go.mod replaces sdk and pkg by relative paths: the nodejs archive holds them, so both share one tree.
  unpack "$nodejs_archive" "$work" && unpack "$python_archive" "$work" || return
  host="$work/sdk/python/cmd/pulumi-language-python"
  go_build "$host" "$work/pulumi-language-python" \
    github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "v$PULUMI_VERSION" . || return
  mkdir -p "$work/beside" \
    && install -m 0755 "$host-exec" "$work/sdk/python/dist/pulumi-resource-pulumi-python" "$work/beside/"
}

build_yaml_host() {
  local work="$1" nodejs_archive="$2" sdk_go_archive="$3" yaml_archive="$4"
  unpack "$nodejs_archive" "$work/pulumi" && unpack "$sdk_go_archive" "$work/pulumi" \
    && unpack "$yaml_archive" "$work/pulumi-yaml" || return
  # Build against the pulumi sdk and pkg of the CLI's release; -mod=mod raises the other requirements to match
  # (`go mod tidy` cannot: the module's tool line and tests need pulumi packages these archives leave out).
  (cd "$work/pulumi-yaml" && go mod edit -replace github.com/pulumi/pulumi/sdk/v3=../pulumi/sdk \
    -replace github.com/pulumi/pulumi/pkg/v3=../pulumi/pkg) || return
  go_build "$work/pulumi-yaml" "$work/pulumi-language-yaml" \
    github.com/pulumi/pulumi-yaml/pkg/version.Version "v$YAML_VERSION" ./cmd/pulumi-language-yaml
}

plugin_installed() {
  "$PULUMI" plugin ls --json 2>/dev/null | node "$COVERAGE_SPY_HELPERS/json-query.js" has-plugin "$1" "$2" "$3"
}

# from_archives DIR NAME VERSION BUILDER ARCHIVE...: DIR/NAME built by BUILDER from the archives, cached by
# their checksums. Returns 1 (with the reason in $missing) when an archive is absent.
from_archives() {
  local dir="$1" name="$2" version="$3" builder="$4" key="$3" files=() file work
  shift 4
  for file in "$@"; do
    if [ ! -f "$UPSTREAM_DIR/$file" ]; then
      missing="no ${file:-archive pinned} in $UPSTREAM_DIR"
      return 1
    fi
    file="$(archive "$file")" || exit 1
    files+=("$file")
    key+=" $(pinned_archive_sha "${file##*/}")"
  done
  if stamp_ok "$dir/$name" "$key" && beside_ok "$dir" "$name"; then
    log "$name $version: cached"
    return 0
  fi
  work="$(mktemp -d "$TOOLCHAIN/build.XXXXXX")"
  step "building $name $version from ${files[*]##*/} (cold: a few minutes)" "$builder" "$work" "${files[@]}" \
    || die "$name could not be built (its build folder is kept: $work)"
  mv "$work/$name" "$dir/$name"
  if [ -d "$work/beside" ]; then
    (cd "$work/beside" && ls) >"$dir/$name.beside"
    mv "$work/beside/"* "$dir/"
  fi
  rm -rf "$work"
  stamp "$dir/$name" "$key"
}

# beside_ok DIR NAME: every script built with DIR/NAME (listed in DIR/NAME.beside) is still there.
beside_ok() {
  local file
  [ -f "$1/$2.beside" ] || return 0
  while read -r file; do
    [ -x "$1/$file" ] || return 1
  done <"$1/$2.beside"
}

# language_host LANGUAGE VERSION BUILDER ARCHIVE...: the language host found on PATH beside the user's own CLI, or
# built beside ours (where the CLI looks first).
language_host() {
  local language="$1" host="pulumi-language-$1" missing=""
  if [ -n "$USER_CLI" ] && command -v "$host" >/dev/null 2>&1; then
    status "language-$language" "ok (yours) $(command -v "$host")"
  elif from_archives "$BIN" "$host" "${@:2}"; then
    if [ -n "$USER_CLI" ]; then
      status "language-$language" "missing: your Pulumi CLI has no $host on PATH (one is built in $BIN)"
    else
      status "language-$language" "ok $BIN/$host"
    fi
  else
    status "language-$language" "missing: $missing"
  fi
}

# resource_plugin NAME VERSION BUILDER ARCHIVE...: the plugin installed for the engine, from the user's plugins or our build.
resource_plugin() {
  local name="$1" version="$2" missing="" installed
  installed="$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
  if [ -n "$USER_CLI" ] && plugin_installed resource "$name" "$version"; then
    status "resource-$name" "ok (yours) $installed"
  elif from_archives "$PLUGIN_BUILDS" "pulumi-resource-$name" "$version" "${@:3}"; then
    cmp -s "$PLUGIN_BUILDS/pulumi-resource-$name" "$installed" \
      || "$PULUMI" plugin install resource "$name" "$version" --file "$PLUGIN_BUILDS/pulumi-resource-$name" --reinstall >/dev/null
    status "resource-$name" "ok $installed"
  elif plugin_installed resource "$name" "$version"; then
    status "resource-$name" "ok (installed by hand) $installed"
  else
    status "resource-$name" "missing: $missing"
  fi
}

started=$SECONDS
USER_CLI=""
if PULUMI="$(user_pulumi)"; then
  USER_CLI="$PULUMI"
  log "using your Pulumi CLI $PULUMI (v$PULUMI_VERSION)"
  export PULUMI_HOME="${USER_PULUMI_HOME:-$HOME/.pulumi}"
  echo "$PULUMI" >"$TOOLCHAIN/user-cli"
else
  rm -f "$TOOLCHAIN/user-cli"
  PULUMI="$BIN/pulumi"
  export PULUMI_HOME="$COVERAGE_SPY_CACHE/pulumi-home"
  if stamp_ok "$BIN/pulumi" "v$PULUMI_VERSION"; then
    log "pulumi v$PULUMI_VERSION: cached"
  else
    step "building the Pulumi CLI v$PULUMI_VERSION from Go source (cold: several minutes)" build_cli \
      || die "the Pulumi CLI could not be built"
    stamp "$BIN/pulumi" "v$PULUMI_VERSION"
  fi
fi
mkdir -p "$PULUMI_HOME"
status pulumi "ok $PULUMI"
[ "$("$PULUMI" version)" = "v$PULUMI_VERSION" ] || die "$PULUMI reports $("$PULUMI" version), expected v$PULUMI_VERSION"

NODEJS_ARCHIVE="pulumi-language-nodejs-v$PULUMI_VERSION.tar.gz"
language_host nodejs "v$PULUMI_VERSION" build_language_host "$NODEJS_ARCHIVE"
if ! "$other_languages"; then
  log "the Python and YAML language hosts: not wanted (--nodejs-only)"
else
  # The Python host compiles against the nodejs archive's sdk and pkg folders.
  language_host python "v$PULUMI_VERSION" build_python_host \
    "$NODEJS_ARCHIVE" "pulumi-language-python-v$PULUMI_VERSION.tar.gz"
  # The YAML host has its own release line: its version is the one of the archive package.json pins.
  YAML_ARCHIVE="$(archive_named pulumi-yaml-v)" || true # none pinned: reported below
  YAML_VERSION="${YAML_ARCHIVE#pulumi-yaml-v}"
  YAML_VERSION="${YAML_VERSION%.tar.gz}"
  if [ -n "$YAML_ARCHIVE" ]; then
    language_host yaml "v$YAML_VERSION" build_yaml_host \
      "$NODEJS_ARCHIVE" "pulumi-sdk-go-v$PULUMI_VERSION.tar.gz" "$YAML_ARCHIVE"
  else
    status language-yaml "missing: package.json pins no pulumi-yaml-vVERSION.tar.gz in config.upstreamArchives"
  fi
fi
resource_plugin docker "$DOCKER_VERSION" build_docker_plugin \
  "pulumi-docker-v$DOCKER_VERSION.tar.gz" "$(archive_named terraform-provider-docker-)"
resource_plugin command "$COMMAND_VERSION" build_command_plugin "pulumi-command-v$COMMAND_VERSION.tar.gz"

mv "$STATUS.new" "$STATUS"
log "toolchain checked in $((SECONDS - started)) s:"
while read -r part state; do log "  $part: $state"; done <"$STATUS"
if grep -q ' missing' "$STATUS"; then
  log "a 'pulumi up' needs every part above. Either:"
  log "  - put the release archives of the missing parts in $UPSTREAM_DIR (or point COVERAGE_SPY_UPSTREAM_DIR at"
  log "    the folder that holds them) and run again; or"
  log "  - on a machine that reaches Pulumi's plugin downloads, install them into PULUMI_HOME=$PULUMI_HOME:"
  log "      pulumi plugin install resource docker $DOCKER_VERSION"
  log "      pulumi plugin install resource command $COMMAND_VERSION"
  log "    (the language hosts ship with Pulumi's own CLI installs)"
  die "the Pulumi toolchain is incomplete"
fi
