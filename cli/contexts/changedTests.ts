// Test impact: which tests of an indexed run executed the lines a checkout changed.
import { FileCoverage, PatchCoverage, PatchFile } from "../../components/summary/coverageSummary";
import { DiffHunk } from "../../components/summary/gitDiffParse";
import { ContextIndex } from "./whoRan";

/** Lines of one file, by its path in the checkout; numbers as the checkout has them now. */
export interface FileLines {
    gitPath: string;
    lines: number[];
}

/** Why the index cannot say which test runs a changed line. */
export type UnknownReason = "not measured" | "changed since the run";

/** The answer of `who --changed`: its shape is the `--format json` output (docs/command-line.md#who). */
export interface ChangedTests {
    /** The run whose index answered. */
    run: string;
    /** The diff's base: the ref as given and the merge-base of HEAD with it. */
    base?: { ref: string; commit: string };
    /** Each test that executed at least one changed line, by name, with the changed lines it executed. */
    tests: { test: string; files: FileLines[] }[];
    /** Changed statements the run executed only outside every test (start-up, between tests). */
    outsideTests: FileLines[];
    /** Changed statements the run did not execute at all. */
    untested: FileLines[];
    /**
     * Changed lines the index cannot know: files the run did not measure (new files, files outside the measured
     * sources), and lines that differ from the source the run executed (changed after it).
     */
    unknown: (FileLines & { why: UnknownReason })[];
    /** What the answer leaves out, once each. */
    notes: string[];
}

/** What the run knew of one measured file. */
export interface IndexedFile {
    /** Its name in the index ("<reportRoot>/<path>"). */
    indexName: string;
    coverage: FileCoverage;
    /**
     * How the checkout's file differs from the source the run executed (its copy in the run folder), or undefined
     * when the run kept no copy.
     */
    sinceRun?: DiffHunk[];
}

/**
 * The run's line for a line of the checkout's file, through the hunks that changed the run's source into it;
 * undefined when the line itself is new or changed since the run.
 */
export function lineInRun(line: number, hunks: DiffHunk[]): number | undefined {
    let shift = 0;
    for (const h of hunks) {
        if (h.newCount > 0 && line >= h.newStart && line < h.newStart + h.newCount) return undefined;
        // A hunk that only deletes sits after its newStart; one that adds ends at its last line.
        const last = h.newCount > 0 ? h.newStart + h.newCount - 1 : h.newStart;
        if (line > last) shift += h.oldCount - h.newCount;
    }
    return line + shift;
}

/** Code-unit order, the same on every machine (localeCompare is not). */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Adds `line` to the list of `key` in `map`. */
function add(map: Map<string, number[]>, key: string, line: number): void {
    const list = map.get(key) ?? [];
    list.push(line);
    map.set(key, list);
}

function fileLines(map: Map<string, number[]>): FileLines[] {
    return [...map].sort(([a], [b]) => byName(a, b)).map(([gitPath, lines]) => ({ gitPath, lines }));
}

/**
 * Sorts each changed line of the patch: the tests whose context executed it in the index; executed only outside
 * tests; a statement never executed; or unknown (a file the run did not measure, a line changed since the run).
 * A changed line that is no statement (a comment, a blank line) is none of these, as in patch coverage.
 * `indexed(file)` names what the run knew of a measured file of the patch.
 */
export function changedTests(
    patch: PatchCoverage,
    index: ContextIndex,
    run: string,
    indexed: (file: PatchFile) => IndexedFile,
): ChangedTests {
    if (patch.unavailable !== undefined)
        throw new Error(`coverage-spy: no changed lines to ask about: ${patch.unavailable}`);
    const byTest = new Map<string, Map<string, number[]>>();
    const outside = new Map<string, number[]>();
    const untested = new Map<string, number[]>();
    const changedSinceRun = new Map<string, number[]>();
    const notes = [...patch.notes];
    for (const file of patch.files) {
        const known = indexed(file);
        if (known.sinceRun === undefined)
            notes.push(`the run kept no copy of ${file.gitPath}: its lines are taken to be the run's`);
        const contexts = index.files[known.indexName] ?? {};
        const statements = new Set([...known.coverage.executedLines, ...known.coverage.missingLines]);
        for (const line of file.changedLines) {
            const runLine = known.sinceRun === undefined ? line : lineInRun(line, known.sinceRun);
            if (runLine === undefined) {
                add(changedSinceRun, file.gitPath, line);
                continue;
            }
            const ran = contexts[String(runLine)] ?? [];
            const tests = ran.filter((name) => name !== index.outside && name !== "");
            for (const test of tests) {
                const files = byTest.get(test) ?? new Map<string, number[]>();
                byTest.set(test, files);
                add(files, file.gitPath, line);
            }
            if (tests.length > 0) continue;
            if (ran.length > 0) add(outside, file.gitPath, line);
            else if (statements.has(runLine)) add(untested, file.gitPath, line);
        }
    }
    const unknown: ChangedTests["unknown"] = [
        ...patch.unmeasured.map((u) => ({ gitPath: u.gitPath, lines: u.changedLines, why: "not measured" as const })),
        ...fileLines(changedSinceRun).map((f) => ({ ...f, why: "changed since the run" as const })),
    ].sort((a, b) => byName(a.gitPath, b.gitPath));
    return {
        run,
        ...(patch.base !== undefined ? { base: patch.base } : {}),
        tests: [...byTest].sort(([a], [b]) => byName(a, b)).map(([test, files]) => ({ test, files: fileLines(files) })),
        outsideTests: fileLines(outside),
        untested: fileLines(untested),
        unknown,
        notes,
    };
}
