#!/usr/bin/env bash
# `shellcheck -x` on every shell file of the repo: the tracked *.sh files (and new ones git does not ignore) and
# .ci/run, from the repo root so `source` paths resolve. Installs Debian's shellcheck when it is missing.
# Prints shellcheck's findings, then one summary line; fails when any file has a finding.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

command -v shellcheck >/dev/null || apt_install shellcheck
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.sh' .ci/run | LC_ALL=C sort -u)
((${#files[@]})) || die "no shell files found (is $REPO_ROOT a git checkout?)"
failed=()
for file in "${files[@]}"; do
  [[ -f $file ]] || continue # deleted in the work tree, not yet in the index
  shellcheck -x "$file" || failed+=("$file")
done
if ((${#failed[@]})); then
  echo "shellcheck: ${#failed[@]} of ${#files[@]} shell files with findings: ${failed[*]}"
  exit 1
fi
echo "shellcheck: ${#files[@]} shell files clean"
