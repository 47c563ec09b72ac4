#!/usr/bin/env bash
# The warm demo run (`npm run coverage`, i.e. scripts/coverage.sh up) of two checkouts, interleaved, each with its own
# build, stack and file backend (its own .state/): how bench/RESULTS.md compares a change with the commit before it.
#   bash bench/warm_interleaved.sh BEFORE_CHECKOUT AFTER_CHECKOUT [ROUNDS]
# Each checkout's stack is bench-warm-<its folder's name> (the stack names its Docker objects, so two checkouts never
# share one); it stays for the next comparison: scripts/coverage.sh destroy --stack NAME in the checkout removes it.
# One warm-up each, then ROUNDS runs each, the order swapped every other round so a drift of the machine's load
# falls on both sides. Per run: the wall clock around the command, the engine's test-run step and whole update
# (--timings-file), the run's own phases from its lines (readiness, suite, graceful stop), and the step without the
# suite and the stop (the run's own cost). Prints one line per run, then the medians with their range, and the load
# average before and after.
set -euo pipefail
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
rounds="${3:-7}"
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# run SIDE CHECKOUT: one warm run, appended to $work/runs.tsv as SIDE wall step update ready suite stop own.
run() {
  local side=$1 checkout=$2 started ended out="$work/$1.log" timings="$work/$1.json"
  started=$(date +%s%N)
  (cd "$checkout" && bash scripts/coverage.sh up --stack "bench-warm-$(basename "$checkout")" --timings-file "$timings") >"$out" 2>&1 \
    || { tail -n 30 "$out" >&2; echo "the $side run failed (above)" >&2; exit 1; }
  ended=$(date +%s%N)
  node - "$side" $(((ended - started) / 1000000)) "$timings" "$out" >>"$work/runs.tsv" <<'EOF'
const fs = require("fs");
const [side, wall, timingsFile, logFile] = process.argv.slice(2);
const timings = JSON.parse(fs.readFileSync(timingsFile, "utf8"));
const step = Math.max(...timings.steps.filter((s) => s.name.endsWith("-test-run")).map((s) => s.ms));
const log = fs.readFileSync(logFile, "utf8");
const first = (re) => (re.exec(log) ?? [])[1] ?? "NaN";
const phases = [/ready in (\d+) ms/, /exited with \d+ after (\d+) ms/, /stopped in (\d+) ms/].map(first);
// What the step spends outside the suite and the stop, whose times are the services' own: the run's start, its
// readiness wait, its docker calls and its source copy.
const own = step - Number(phases[1]) - Number(phases[2]);
console.log([side, wall, step, timings.totalMs, ...phases, own].join("\t"));
EOF
  tail -n 1 "$work/runs.tsv"
}

echo "load before: $(uptime)"
run before "$before"
run after "$after"
: >"$work/runs.tsv"
for ((round = 0; round < rounds; round++)); do
  if ((round % 2 == 0)); then
    run before "$before"
    run after "$after"
  else
    run after "$after"
    run before "$before"
  fi
done
echo "load after: $(uptime)"
node - "$work/runs.tsv" <<'EOF'
const fs = require("fs");
const rows = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map((l) => l.split("\t"));
const columns = ["the whole run (wall)", "the engine's test-run step", "the engine's whole update", "readiness",
    "the suite", "the graceful stop", "the test-run step outside the suite and the stop"];
const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cell = (side, i) => {
    const v = rows.filter((r) => r[0] === side).map((r) => Number(r[i + 1]));
    return `${median(v)} (${Math.min(...v)}–${Math.max(...v)})`;
};
console.log("| milliseconds, median (range) | before | after |\n| --- | --- | --- |");
columns.forEach((c, i) => console.log(`| ${c} | ${cell("before", i)} | ${cell("after", i)} |`));
EOF
