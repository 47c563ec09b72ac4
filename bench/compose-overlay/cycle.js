// The figures of bench/compose-overlay/cycle.sh: one row per cycle of each side, and the Markdown report.
//   node cycle.js a ROUND T0_MS T1_MS MARKS LOG TIMINGS_JSON OUTPUTS_JSON   a coverage-spy cycle, as a JSON row
//   node cycle.js b ROUND T0_MS T1_MS RITUAL_TIMINGS_JSON                   an overlay ritual cycle, as a JSON row
//   node cycle.js line ROWS_A ROWS_B ROUND                                  one round in a line (progress)
//   node cycle.js report ROWS_A ROWS_B                                      per round, medians and ranges, ratio
// A's phases are bench/phases.js's (as bench/coverage_phases.sh splits a run), given the setup, compile and
// `pulumi up` spans read here from node-timing.sh's marks and the times of coverage.sh's output lines; "print"
// (from the update's end to the printed summary: the driver reads the outputs back from the engine) is split out
// of phases.js's other steps.
const childProcess = require("child_process");
const fs = require("fs");
const path = require("path");

/**
 * The goal the benchmark checks: coverage-spy's overhead beyond the suite at most this share of the overlay's (a
 * cycle that restarts the service costs at least the overlay's container work; the watch cycle goes below it).
 */
const GOAL = 1.0;

/** A's phases, in the order they happen (bench/phases.js's, with "print" split out of its other steps). */
const PHASES_A = {
    setup: "setup checks (engine, toolchain, images), the compile beside them",
    compile: "rest of the compile (tsc)",
    driver: "driver start (node, SDK, workspace, recovery checks)",
    engineStart: "engine start to the first resource step",
    up: "up: service start, engine bookkeeping (the prepare container runs once per volume)",
    readinessAndCopy: "readiness wait and source copy",
    suite: "the test suite",
    stop: "graceful stop",
    harvest: "harvest",
    print: "print: outputs read back from the engine, summary",
    total: "total",
};

/** B's phases, as ritual.sh times them. */
const PHASES_B = {
    checks: "ritual.sh's checks (not in the total)",
    down: "docker-compose down",
    up: "docker-compose up -d (network, container)",
    ready: "readiness wait (/healthz every 0.2 s)",
    suite: "the test suite",
    stop: "docker-compose stop (graceful)",
    harvest: "docker-compose run --rm harvester (install, combine, 4 reports)",
    print: "print the report",
    total: "total (the command's wall time less its checks)",
};

/** The lines of a file written by cycle.sh's stamp: [microseconds, text]. */
function stampedLines(file) {
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => {
            const space = l.indexOf(" ");
            return [Number(l.slice(0, space)) / 1000, l.slice(space + 1)];
        });
}

/** node-timing.sh's marks: { "tsc start": ms, "run-stack.js end": ms, ... }, the last of each. */
function readMarks(file) {
    const marks = {};
    for (const line of fs.readFileSync(file, "utf8").trim().split("\n")) {
        const [name, what, ms] = line.split(" ");
        marks[`${name} ${what}`] = Number(ms);
    }
    return marks;
}

function rowA([round, t0Ms, t1Ms, marksFile, logFile, timingsFile, outputsFile]) {
    const t0 = Number(t0Ms);
    const t1 = Number(t1Ms);
    const marks = readMarks(marksFile);
    const lines = stampedLines(logFile);
    const runStart = marks["run-stack.js start"];
    if (runStart === undefined) throw new Error(`${marksFile}: no run-stack marks`);
    // No tsc mark: bin/ was current, so coverage.sh compiled nothing.
    const tscEnd = marks["tsc end"] ?? 0;
    // The setup checks and pulumi-env.sh end with the last line printed before the driver started; the build
    // ran beside them, and what is left of it after them is the compile's own share (as bench/coverage_phases.sh).
    const before = lines.filter(([ms]) => ms < runStart);
    const setupDone = before.length > 0 ? before[before.length - 1][0] : t0;
    const compile = Math.max(0, Math.round(Math.min(tscEnd, runStart) - setupDone));
    const setup = runStart - t0 - compile;
    const upMs = t1 - runStart;
    const phases = childProcess.execFileSync(
        process.execPath,
        [path.join(__dirname, "..", "phases.js"), round, setup, compile, upMs, timingsFile, outputsFile],
        { encoding: "utf8" },
    );
    const row = JSON.parse(phases);
    // The engine's last line ("Duration: ...") ends the update; the summary follows once the outputs are read back.
    const updateEnd = lines.filter(([, text]) => text.startsWith("Duration: ")).pop();
    const summary = lines.find(([ms, text]) => updateEnd && ms >= updateEnd[0] && text.startsWith("coverage-spy run "));
    if (!updateEnd || !summary) throw new Error(`${logFile}: no update end or summary line`);
    const print = Math.round(summary[0] - updateEnd[0]);
    const { otherSteps, ...rest } = row;
    console.log(JSON.stringify({ ...rest, up: otherSteps - print, print, overhead: row.total - row.suite }));
}

function rowB([round, t0Ms, t1Ms, timingsFile]) {
    const timings = JSON.parse(fs.readFileSync(timingsFile, "utf8"));
    // The ritual's own checks (its once-per-machine preparations, reading the pinned version) are this bench's
    // scaffolding, not the pattern's: the total is the command's wall time less them.
    const wall = Number(t1Ms) - Number(t0Ms);
    const total = wall - timings.checks;
    console.log(JSON.stringify({ round: Number(round), ...timings, wall, total, overhead: total - timings.suite }));
}

function readRows(file) {
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
}

function median(values) {
    const v = [...values].sort((a, b) => a - b);
    const mid = Math.floor(v.length / 2);
    return v.length % 2 === 1 ? v[mid] : Math.round((v[mid - 1] + v[mid]) / 2);
}

/** "median (min–max)" of a column, or the one value when there is one row. */
function stat(rows, key) {
    const v = rows.map((r) => r[key]);
    if (v.length === 1) return String(v[0]);
    return `${median(v)} (${Math.min(...v)}–${Math.max(...v)})`;
}

const ratio = (a, b) => (a / b).toFixed(2);

function line([rowsA, rowsB, round]) {
    const a = readRows(rowsA).find((r) => r.round === Number(round));
    const b = readRows(rowsB).find((r) => r.round === Number(round));
    console.log(
        `A total ${a.total} ms (suite ${a.suite}, overhead ${a.overhead}); ` +
            `B total ${b.total} ms (suite ${b.suite}, overhead ${b.overhead}); overhead ratio ${ratio(a.overhead, b.overhead)}`,
    );
}

function report([rowsAFile, rowsBFile]) {
    const a = readRows(rowsAFile);
    const b = readRows(rowsBFile);
    const out = [];
    out.push("Each round, milliseconds (overhead = total − suite):", "");
    out.push("| round | A total | A suite | A overhead | B total | B suite | B overhead | overhead A/B |");
    out.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const ra of a) {
        const rb = b.find((r) => r.round === ra.round);
        out.push(
            `| ${ra.round} | ${ra.total} | ${ra.suite} | ${ra.overhead} | ${rb.total} | ${rb.suite} | ${rb.overhead} | ` +
                `${ratio(ra.overhead, rb.overhead)} |`,
        );
    }
    const ratios = a.map((ra) => ra.overhead / b.find((r) => r.round === ra.round).overhead);
    const overall = median(a.map((r) => r.overhead)) / median(b.map((r) => r.overhead));
    out.push("", "Median (range), milliseconds:", "");
    out.push("| | A: coverage-spy | B: overlay pattern |", "| --- | --- | --- |");
    for (const key of ["total", "suite", "overhead"]) out.push(`| ${key} | ${stat(a, key)} | ${stat(b, key)} |`);
    out.push(
        "",
        `Overhead ratio A/B: ${overall.toFixed(2)} from the medians; per round ${ratios.map((r) => r.toFixed(2)).join(", ")} ` +
            `(goal ≤ ${GOAL}: ${overall <= GOAL ? "met" : "not met"}). Coverage: A ${[...new Set(a.map((r) => r.percent.toFixed(2)))].join(", ")} %, ` +
            `B ${[...new Set(b.map((r) => r.percent.toFixed(2)))].join(", ")} %.`,
    );
    out.push("", "A's phases (median, range), milliseconds:", "", "| phase | ms |", "| --- | --- |");
    for (const [key, label] of Object.entries(PHASES_A)) out.push(`| ${label} | ${stat(a, key)} |`);
    out.push("", "B's phases (median, range), milliseconds:", "", "| phase | ms |", "| --- | --- |");
    for (const [key, label] of Object.entries(PHASES_B)) out.push(`| ${label} | ${stat(b, key)} |`);
    console.log(out.join("\n"));
}

const [command, ...args] = process.argv.slice(2);
const commands = { a: rowA, b: rowB, line, report };
if (!commands[command]) {
    console.error("usage: node cycle.js a|b|line|report ... (see the head of this file)");
    process.exit(2);
}
commands[command](args);
