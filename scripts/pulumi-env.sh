# Source me: the environment every coverage-spy script runs Pulumi in. Offline: a local file backend in the
# repo's ignored .state/, a passphrase secrets provider, no update checks, no plugin downloads.
# shellcheck shell=bash
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -f "$COVERAGE_SPY_CACHE/toolchain/user-cli" ]; then
  export PULUMI_HOME="${USER_PULUMI_HOME:-$HOME/.pulumi}"
else
  export PATH="$COVERAGE_SPY_CACHE/toolchain/bin:$PATH"
  export PULUMI_HOME="$COVERAGE_SPY_CACHE/pulumi-home"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$REPO_ROOT/.state}"
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
