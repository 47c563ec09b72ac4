import { FileCoverage, PatchCoverage, PatchFile, PatchTotals } from "./coverageSummary";
import { ChangedFile } from "./gitDiffParse";

/** executed of executable as 0–100, as a `percent` field; no field when nothing is executable. */
function percentOf(executed: number, executable: number): { percent?: number } {
    return executable === 0 ? {} : { percent: (executed / executable) * 100 };
}

function patchFile(change: ChangedFile, file: FileCoverage): PatchFile {
    const executed = new Set(file.executedLines);
    const missing = new Set(file.missingLines);
    const executedLines = change.lines.filter((n) => executed.has(n));
    const missingLines = change.lines.filter((n) => missing.has(n));
    return {
        service: file.service,
        path: file.path,
        gitPath: change.path,
        changedLines: change.lines,
        executableLines: change.lines.filter((n) => executed.has(n) || missing.has(n)),
        executedLines,
        missingLines,
        ...percentOf(executedLines.length, executedLines.length + missingLines.length),
    };
}

/**
 * Patch coverage: each changed file that is a measured file (by its path in the checkout, `measured`'s keys; with
 * `followRenames`, by its old path too when the diff found it renamed) with
 * its changed lines split into executed and missing statements; the other changed files listed apart. A changed
 * line that is no statement (a comment, a blank line, an `else:`) counts in neither, as in diff-cover.
 */
export function patchCoverage(
    changes: ChangedFile[],
    measured: ReadonlyMap<string, FileCoverage>,
    base: { ref: string; commit: string },
    notes: string[],
    followRenames = false,
): PatchCoverage {
    const files: PatchFile[] = [];
    const unmeasured: PatchCoverage["unmeasured"] = [];
    for (const change of changes) {
        const oldName = followRenames ? change.renamedFrom : undefined;
        const file = measured.get(change.path) ?? (oldName !== undefined ? measured.get(oldName) : undefined);
        if (file !== undefined) files.push(patchFile(change, file));
        else unmeasured.push({ gitPath: change.path, changedLines: change.lines });
    }
    const sum = (f: (p: PatchFile) => number[]) => files.reduce((n, p) => n + f(p).length, 0);
    const executed = sum((p) => p.executedLines);
    const executable = sum((p) => p.executableLines);
    const totals: PatchTotals = {
        changed: sum((p) => p.changedLines),
        executable,
        executed,
        missing: sum((p) => p.missingLines),
        percent: percentOf(executed, executable).percent ?? 100,
    };
    return { base, totals, files, unmeasured, notes };
}

/** No patch coverage, and why. */
export function unavailablePatch(reason: string, notes: string[]): PatchCoverage {
    return {
        unavailable: reason,
        totals: { changed: 0, executable: 0, executed: 0, missing: 0 },
        files: [],
        unmeasured: [],
        notes,
    };
}
