import { CoverageSummary, ExitedEarly, PatchCoverage, PerTestCoverage, TestResult } from "./coverageSummary";
import { HarvestedCoverage } from "./readRunSummary";

function pct(value: number): string {
    return `${value.toFixed(2)}%`;
}

/** Ascending line numbers as ranges: "3, 7-9, 12". */
export function ranges(lines: number[]): string {
    const parts: string[] = [];
    for (let i = 0; i < lines.length; i++) {
        let j = i;
        while (j + 1 < lines.length && lines[j + 1] === lines[j] + 1) j++;
        parts.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
        i = j;
    }
    return parts.join(", ");
}

/** "exited during the test suite (exit code 137, killed for lack of memory)". */
export function describeEarlyExit(exit: ExitedEarly): string {
    return `exited during the test suite (exit code ${exit.exitCode}${exit.oomKilled ? ", killed for lack of memory" : ""})`;
}

/** "3 passed, 1 failed", or "test counts unknown: <why>". */
export function describeTestCounts(tests: TestResult): string {
    if (tests.passed !== null) return `${tests.passed} passed, ${tests.failed} failed`;
    return `test counts unknown${tests.countsUnknown !== undefined ? `: ${tests.countsUnknown}` : ""}`;
}

/** "12 tests, 40 lines outside tests; 24 boundaries, median 1.9 ms (max 4.2) over up to 6 processes; ...". */
export function describePerTest(p: PerTestCoverage): string {
    const b = p.boundaries;
    const timing =
        b.medianMs === null ? "" : `, median ${b.medianMs} ms (max ${b.maxMs}) over up to ${b.maxProcesses} processes`;
    return (
        `${Object.keys(p.tests).length} tests, ${p.outsideLines} lines outside tests; ${b.count} boundaries` +
        `${timing}; npx coverage-spy who FILE:LINE`
    );
}

/** A patch worth leading a summary with: read against a base, with changed lines. */
export function patchToLead(s: CoverageSummary | HarvestedCoverage): PatchCoverage | undefined {
    const patch = "patch" in s ? s.patch : undefined;
    if (patch?.base === undefined || patch.files.length + patch.unmeasured.length === 0) return undefined;
    return patch;
}

/** "71.43% of 7 changed statements executed since main (0123abcd)"; the percent alone leads. */
export function describePatch(patch: PatchCoverage): string {
    const { totals, base } = patch;
    const figure = totals.percent === undefined ? "n/a" : pct(totals.percent);
    return (
        `${figure} of ${totals.executable} changed statements executed since ${base?.ref} (${base?.commit.slice(0, 12)}), ` +
        `${totals.missing} missing`
    );
}

/** The patch lines of the terminal summary: the figure, the missing changed lines by file, what is not measured. */
function patchLines(patch: PatchCoverage): string[] {
    const out = [`PATCH  ${describePatch(patch)}`];
    for (const f of patch.files)
        if (f.missingLines.length > 0) out.push(`  missing  ${f.service}:${f.path}  ${ranges(f.missingLines)}`);
    if (patch.unmeasured.length > 0) out.push(`  not measured  ${patch.unmeasured.map((u) => u.gitPath).join(", ")}`);
    for (const n of patch.notes) out.push(`  note  ${n}`);
    return out;
}

/** The summary as a person reads it in a terminal: total, per service, per file, reports. */
export function formatSummary(s: CoverageSummary | HarvestedCoverage): string {
    const out: string[] = [];
    const t = s.totals;
    // On a branch, the question is the change's: its figure comes first.
    const patch = patchToLead(s);
    if (patch) out.push(...patchLines(patch), "");
    out.push(`coverage-spy run ${s.runId} (coverage.py ${s.coveragePyVersion})`);
    out.push(`TOTAL  ${pct(t.percent)}  ${t.covered}/${t.statements} statements, ${t.missing} missing`);
    if ("tests" in s) {
        const tests = s.tests;
        const outcome = tests.succeeded
            ? "passed"
            : tests.timedOutAfterSeconds !== undefined
              ? `TIMED OUT after ${tests.timedOutAfterSeconds} s (testTimeoutSeconds) and was killed`
              : `FAILED with exit code ${tests.exitCode}`;
        out.push(`tests  ${outcome} (${describeTestCounts(tests)}) in ${(tests.durationMs / 1000).toFixed(1)} s`);
    }
    if ("perTest" in s && s.perTest) out.push(`per test  ${describePerTest(s.perTest)}`);
    for (const svc of Object.values(s.services)) {
        if (svc.exitedEarly)
            out.push(
                `EXITED ${svc.name}: ${describeEarlyExit(svc.exitedEarly)}; only the data it saved before is measured`,
            );
    }
    for (const p of s.lostProcesses) {
        out.push(
            `LOST   ${p.service}: process ${p.pid} on ${p.host} (${p.command.join(" ")}) started measuring but saved no data`,
        );
    }
    for (const w of s.warnings ?? []) out.push(`WARN   ${w.message}`);
    for (const p of s.interruptedProcesses ?? []) {
        const since = p.lastSave === null ? "" : ` (data up to ${p.lastSave} kept)`;
        out.push(`KILLED ${p.service}: process ${p.pid} on ${p.host} (${p.command.join(" ")}) never ended${since}`);
    }
    if ("gate" in s && s.gate) {
        out.push(`gates  ${s.gate.passed ? "passed" : "FAILED"}`);
        for (const f of s.gate.failures) out.push(`  - ${f}`);
        for (const n of s.gate.notes) out.push(`  - ${n}`);
    }
    out.push("", "service            cover   stmts   miss  data files  stop");
    for (const svc of Object.values(s.services)) {
        const stop = svc.exitedEarly ? "exited early" : svc.stopMs === undefined ? "" : `${svc.stopMs} ms`;
        out.push(
            `${svc.name.padEnd(16)} ${pct(svc.totals.percent).padStart(7)} ${String(svc.totals.statements).padStart(7)} ${String(svc.totals.missing).padStart(6)} ${String(svc.dataFiles).padStart(11)}  ${stop}`,
        );
    }
    out.push("", "file                                             cover  missing lines");
    for (const f of s.files) {
        if (f.statements === 0) continue;
        out.push(`${`${f.service}:${f.path}`.padEnd(46)} ${pct(f.percent).padStart(8)}  ${ranges(f.missingLines)}`);
    }
    out.push(
        "",
        `reports: ${s.reports.dir}`,
        `  html  ${s.reports.html}`,
        `  json  ${s.reports.json}`,
        `  xml   ${s.reports.xml}`,
        `  lcov  ${s.reports.lcov}`,
    );
    return out.join("\n");
}
