#!/usr/bin/env bash
# The linters and formatters, as `npm test` runs them: prettier and eslint (TypeScript, JavaScript), ruff
# (Python: lint and format) and shellcheck (scripts/lint-shell.sh). Checks only, never rewrites a file.
#   --fix   formats instead (prettier --write, ruff format: `npm run format`); the linters' findings stay yours.
# ruff is installed at the version package.json pins (config.ruff) into a virtualenv in the cache.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# install_ruff VENV VERSION: a fresh virtualenv with that ruff.
install_ruff() { rm -rf "$1" && python3 -m venv "$1" && "$1/bin/pip" install -q "ruff==$2"; }

# ruff_bin: the pinned ruff, installed on first use; prints its path.
ruff_bin() {
  local version venv
  version="$(package_json config ruff)"
  venv="$COVERAGE_SPY_CACHE/lint-venv/ruff-$version"
  [[ -x $venv/bin/ruff ]] || step "ruff $version into $venv" install_ruff "$venv" "$version" >&2
  echo "$venv/bin/ruff"
}

failed=()
# check NAME CMD...: runs one linter; a failure is remembered, so every linter reports before the script fails.
check() {
  local name="$1"; shift
  step "$name" "$@" || failed+=("$name")
}

ruff="$(ruff_bin)"
case "${1:-}" in
  "") ;;
  --fix)
    step "prettier --write" npx prettier --write --log-level warn .
    step "ruff format" "$ruff" format --quiet .
    exit 0
    ;;
  *) die "unknown option $1 (use --fix to format)" ;;
esac
check "prettier" npx prettier --check --log-level warn .
check "eslint" npx eslint --max-warnings 0 .
check "ruff check" "$ruff" check --quiet .
check "ruff format" "$ruff" format --check --quiet .
check "shellcheck" bash scripts/lint-shell.sh
if ((${#failed[@]})); then
  die "lint failed: ${failed[*]} (see above; prettier --write and ruff format fix formatting)"
fi
log "lint: prettier, eslint, ruff and shellcheck clean"
