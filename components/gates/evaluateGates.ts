import { GateThresholds } from "../options/gateOptions";
import { CoverageSummary } from "../summary/coverageSummary";

export interface GateResult {
    passed: boolean;
    /** One line per failed gate, naming the numbers. */
    failures: string[];
    /** Gates that could not be evaluated, and why. */
    notes: string[];
}

function pct(n: number): string {
    return `${n.toFixed(2)}%`;
}

/** Evaluates every gate; never throws for a failed gate (the caller decides how to fail). */
export function evaluateGates(summary: CoverageSummary, gates: GateThresholds, base?: CoverageSummary): GateResult {
    const failures: string[] = [];
    const notes: string[] = [];
    const total = summary.totals.percent;
    if (gates.failUnder !== undefined && total < gates.failUnder) {
        failures.push(`total coverage ${pct(total)} is under failUnder ${gates.failUnder}%`);
    }
    if (gates.failUnderPatch !== undefined) {
        const patch = summary.patch;
        if (patch?.totals.percent === undefined)
            notes.push(`failUnderPatch not evaluated: ${patch?.unavailable ?? "no patch coverage"}`);
        else if (patch.totals.percent < gates.failUnderPatch)
            failures.push(
                `patch coverage ${pct(patch.totals.percent)} (${patch.totals.executed} of ${patch.totals.executable} changed statements since ${patch.base?.ref}) is under failUnderPatch ${gates.failUnderPatch}%`,
            );
    }
    for (const [name, min] of Object.entries(gates.failUnderPerService ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        const service = summary.services[name];
        if (!service) failures.push(`service ${name} has no coverage in this run (failUnderPerService names it)`);
        else if (service.totals.percent < min)
            failures.push(`service ${name} coverage ${pct(service.totals.percent)} is under its failUnder ${min}%`);
    }
    if (gates.maxDrop !== undefined) {
        if (!base) {
            notes.push("maxDrop not evaluated: no base summary");
        } else {
            const drop = Math.round((base.totals.percent - total) * 100) / 100;
            if (drop > gates.maxDrop) {
                failures.push(
                    `total coverage dropped ${drop.toFixed(2)} points (${pct(base.totals.percent)} → ${pct(total)}), more than maxDrop ${gates.maxDrop}`,
                );
            }
        }
    }
    return { passed: failures.length === 0, failures, notes };
}
