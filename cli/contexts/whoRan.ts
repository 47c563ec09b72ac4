import * as fs from "fs";
import * as path from "path";
import { readHarvestJson } from "../../components/summary/harvestJson";

/** The line index a harvest with per-test contexts writes (coverage-spy/contexts_index.py): total/contexts.json. */
export interface ContextIndex {
    /** The context of lines run outside every test: "(no test)". */
    outside: string;
    /** "<service>/<path>" → line → the contexts that ran it. */
    files: Record<string, Record<string, string[]>>;
}

/** A question for the index: a file, and one line of it or (undefined) the whole file. */
export interface WhoQuery {
    file: string;
    line?: number;
}

/** "pkg/mod.py:12" or "pkg/mod.py". */
export function parseWhoQuery(text: string): WhoQuery {
    const match = /^([^:].*?)(?::(\d+))?$/.exec(text.trim());
    if (!match || match[1] === "") throw new Error(`coverage-spy: expected FILE:LINE or FILE, got "${text}"`);
    return { file: match[1].replace(/^\.\//, ""), ...(match[2] !== undefined ? { line: Number(match[2]) } : {}) };
}

/**
 * The index's file a user means: its exact name ("<service>/<path>"), the path within a service ("pkg/mod.py"), or
 * a longer path that ends with the service's path (a host checkout's "examples/demo/app/pkg/mod.py").
 */
export function matchIndexFile(index: ContextIndex, file: string): string {
    const names = Object.keys(index.files);
    if (names.includes(file)) return file;
    const withinService = (name: string) => name.split("/").slice(1).join("/");
    const found = names.filter((name) => name.endsWith(`/${file}`) || file.endsWith(`/${withinService(name)}`));
    if (found.length === 1) return found[0];
    if (found.length > 1)
        throw new Error(`coverage-spy: ${file} matches several measured files: ${found.join(", ")}; name one of them`);
    const base = path.basename(file);
    const similar = names.filter((n) => path.basename(n) === base);
    throw new Error(
        `coverage-spy: no test ran a line of ${file} in this run` +
            (similar.length > 0 ? ` (files with that name: ${similar.join(", ")})` : ` (${names.length} files ran)`),
    );
}

/** The answer: which contexts ran the line, or, for a whole file, each context with the number of its lines. */
export function whoRan(index: ContextIndex, query: WhoQuery): { file: string; contexts: Map<string, number> } {
    const file = matchIndexFile(index, query.file);
    const lines = index.files[file];
    const contexts = new Map<string, number>();
    const picked = query.line === undefined ? Object.values(lines) : [lines[String(query.line)] ?? []];
    for (const names of picked) for (const name of names) contexts.set(name, (contexts.get(name) ?? 0) + 1);
    return { file, contexts };
}

/** The answer for a person: tests first (by name), the outside context last. */
export function formatWhoRan(index: ContextIndex, query: WhoQuery, runId: string): string {
    const { file, contexts } = whoRan(index, query);
    const where = query.line === undefined ? file : `${file}:${query.line}`;
    const tests = [...contexts.keys()].filter((c) => c !== index.outside && c !== "").sort();
    if (contexts.size === 0) return `${where} did not run in run ${runId}`;
    const out = [`${where} ran in ${tests.length} test(s) of run ${runId}:`];
    const count = (name: string) => (query.line === undefined ? `  (${contexts.get(name)} lines)` : "");
    for (const test of tests) out.push(`  ${test}${count(test)}`);
    const outside = (contexts.get(index.outside) ?? 0) + (contexts.get("") ?? 0);
    if (outside > 0) out.push(`  ${index.outside}${query.line === undefined ? `  (${outside} lines)` : ""}`);
    return out.join("\n");
}

/**
 * The newest run under a report folder whose harvest wrote an index: [run id, index path]. The path is the one its
 * harvest.json names (perTest.index), as every reader of a harvest takes its files from there.
 */
export function latestIndex(reportDir: string): [string, string] {
    const runs = path.join(reportDir, "runs");
    const ids = fs.existsSync(runs) ? fs.readdirSync(runs).sort().reverse() : [];
    for (const id of ids) {
        // A run whose harvest failed wrote no harvest.json.
        if (!fs.existsSync(path.join(runs, id, "harvest.json"))) continue;
        const index = readHarvestJson(path.join(runs, id)).perTest?.index;
        if (index !== undefined) return [id, index];
    }
    throw new Error(
        `coverage-spy: no run under ${runs} recorded per-test contexts: set perTestContexts: true on the ` +
            "CoverageSpyStack (for the bundled demo: in the stack's config) and run the stack again",
    );
}

/** The stacks under the project's reports folder with a run that recorded per-test contexts. */
export function stacksWithContexts(reportsRoot: string): string[] {
    if (!fs.existsSync(reportsRoot)) return [];
    return fs.readdirSync(reportsRoot).filter((name) => {
        try {
            latestIndex(path.join(reportsRoot, name));
            return true;
        } catch {
            return false;
        }
    });
}
