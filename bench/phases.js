// Formats one round of bench/coverage_phases.sh as JSON, or the medians and ranges of all rounds:
//   node bench/phases.js ROUND SETUP_MS COMPILE_MS UP_MS TIMINGS_JSON OUTPUTS_JSON
//   node bench/phases.js --median ROWS_FILE
const fs = require("fs");

/** The phases of a warm run, in the order they happen. */
const PHASES = {
    setup: "setup checks, the compile beside them",
    compile: "rest of the compile",
    driver: "driver start (node, modules, workspace)",
    engineStart: "engine start to the first resource step",
    otherSteps: "volume, network, config, service start (prepare: once per volume)",
    readinessAndCopy: "readiness wait and source copy",
    suite: "the test suite",
    stop: "graceful stop",
    harvest: "harvest",
    total: "total",
};

function round([n, setupMs, compileMs, upMs, timingsFile, outputsFile]) {
    const timings = JSON.parse(fs.readFileSync(timingsFile, "utf8"));
    const coverage = JSON.parse(fs.readFileSync(outputsFile, "utf8")).coverage;
    // A new stack creates its resources; a warm one creates replacements (beside replace and delete steps).
    const step = (name) =>
        timings.steps.find((s) => s.name === name && (s.op === "create" || s.op === "create-replacement")).ms;
    const testRun = step("coverage-test-run");
    const harvest = step("coverage-harvester");
    const suite = coverage.tests.durationMs;
    const stop = coverage.services.demo.stopMs;
    const row = {
        round: Number(n),
        setup: Number(setupMs),
        compile: Number(compileMs),
        driver: Number(upMs) - timings.totalMs,
        engineStart: timings.engineStartMs,
        otherSteps: timings.totalMs - timings.engineStartMs - testRun - harvest,
        readinessAndCopy: testRun - suite - stop,
        suite,
        stop,
        harvest,
        total: Number(setupMs) + Number(compileMs) + Number(upMs),
        percent: coverage.totals.percent,
    };
    console.log(JSON.stringify(row));
}

function median(rowsFile) {
    const rows = fs
        .readFileSync(rowsFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    for (const [key, label] of Object.entries(PHASES)) {
        const v = rows.map((r) => r[key]).sort((a, b) => a - b);
        console.log(
            `${label.padEnd(48)} ${String(v[Math.floor(v.length / 2)]).padStart(6)} ms  (${v[0]}–${v[v.length - 1]})`,
        );
    }
    console.log(`rounds: ${rows.length}; coverage: ${[...new Set(rows.map((r) => r.percent))].join(", ")} %`);
}

if (process.argv[2] === "--median") median(process.argv[3]);
else round(process.argv.slice(2));
