#!/usr/bin/env bash
# `npm run bench`: the ritual benchmark (bench/ritual.ts) on the real Docker engine, and what periodic saves
# cost a busy process (bench/save_cost.py). Results: bench/RESULTS.md.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
bash scripts/setup.sh
# shellcheck source=scripts/pulumi-env.sh
source scripts/pulumi-env.sh
npx tsc -p tsconfig.json
node bin/bench/ritual.js "${1:-3}"
python3 bench/save_cost.py "${1:-3}"
