import { CoverageSummary, FileCoverage, READABLE_SUMMARY_VERSIONS } from "./coverageSummary";

/** The shape of a coverage delta, exported by consumer stacks. Versioned like the summary. */
export const DELTA_SCHEMA_VERSION = 1;

export interface PercentChange {
    base: number;
    head: number;
    /** head − base, in percentage points, rounded to 2 decimals. */
    delta: number;
}

export interface FileChange extends PercentChange {
    service: string;
    path: string;
    coveredBase: number;
    coveredHead: number;
    missingBase: number;
    missingHead: number;
}

export interface CoverageDelta {
    schemaVersion: number;
    baseRunId: string;
    headRunId: string;
    total: PercentChange;
    services: Record<string, PercentChange>;
    /** Files whose percentage went up, biggest gain first. */
    gained: FileChange[];
    /** Files whose percentage went down, biggest loss first. */
    lost: FileChange[];
    /** Files only in the head run, or only in the base run: "service:path". */
    added: string[];
    removed: string[];
}

function change(base: number, head: number): PercentChange {
    return { base, head, delta: Math.round((head - base) * 100) / 100 };
}

function key(f: FileCoverage): string {
    return `${f.service}:${f.path}`;
}

/** How the head run's coverage differs from the base run's: total, per service, per file. */
export function coverageDelta(base: CoverageSummary, head: CoverageSummary): CoverageDelta {
    const baseFiles = new Map(base.files.map((f) => [key(f), f]));
    const headFiles = new Map(head.files.map((f) => [key(f), f]));
    const changed: FileChange[] = [];
    for (const [k, h] of headFiles) {
        const b = baseFiles.get(k);
        if (!b) continue;
        const c = change(b.percent, h.percent);
        if (c.delta !== 0 || b.covered !== h.covered || b.missing !== h.missing) {
            changed.push({
                service: h.service,
                path: h.path,
                ...c,
                coveredBase: b.covered,
                coveredHead: h.covered,
                missingBase: b.missing,
                missingHead: h.missing,
            });
        }
    }
    const byPath = (a: FileChange, b: FileChange) => `${a.service}:${a.path}`.localeCompare(`${b.service}:${b.path}`);
    const services: Record<string, PercentChange> = {};
    for (const name of [...new Set([...Object.keys(base.services), ...Object.keys(head.services)])].sort()) {
        const b = base.services[name];
        const h = head.services[name];
        if (b && h) services[name] = change(b.totals.percent, h.totals.percent);
    }
    return {
        schemaVersion: DELTA_SCHEMA_VERSION,
        baseRunId: base.runId,
        headRunId: head.runId,
        total: change(base.totals.percent, head.totals.percent),
        services,
        gained: changed
            .filter((c) => c.delta > 0 || (c.delta === 0 && c.coveredHead > c.coveredBase))
            .sort((a, b) => b.delta - a.delta || byPath(a, b)),
        lost: changed
            .filter((c) => c.delta < 0 || (c.delta === 0 && c.coveredHead < c.coveredBase))
            .sort((a, b) => a.delta - b.delta || byPath(a, b)),
        added: [...headFiles.keys()].filter((k) => !baseFiles.has(k)).sort(),
        removed: [...baseFiles.keys()].filter((k) => !headFiles.has(k)).sort(),
    };
}

/**
 * Checks a value read from another stack's outputs (StackReference) before trusting it as a summary:
 * other stacks may run older or newer coverage-spy releases.
 */
export function parseSummaryOutput(value: unknown, what: string): CoverageSummary {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error(
            `${what} is not a coverage summary (got ${value === null ? "null" : typeof value}): is it a coverage-spy stack that finished an update?`,
        );
    }
    const v = value as Record<string, unknown>;
    if (v.schemaVersion === undefined) throw new Error(`${what} has no schemaVersion: not a coverage-spy summary`);
    if (!READABLE_SUMMARY_VERSIONS.includes(v.schemaVersion as number)) {
        throw new Error(
            `${what} has summary schemaVersion ${JSON.stringify(v.schemaVersion)}; this coverage-spy reads versions ${READABLE_SUMMARY_VERSIONS.join(", ")}`,
        );
    }
    const missing = ["runId", "totals", "services", "files"].filter((k) => v[k] === undefined);
    if (missing.length > 0) throw new Error(`${what} lacks ${missing.join(", ")}`);
    if (!Array.isArray(v.files)) throw new Error(`${what}.files is not a list`);
    return value as CoverageSummary;
}
