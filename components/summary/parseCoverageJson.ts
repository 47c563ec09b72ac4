import { CoverageTotals } from "./coverageSummary";

/** One file of a coverage.py JSON report, path as written in the report. */
export interface ReportedFile extends CoverageTotals {
    reportPath: string;
    executedLines: number[];
    missingLines: number[];
}

export interface ParsedCoverageReport {
    coveragePyVersion: string;
    timestamp: string;
    totals: CoverageTotals;
    files: ReportedFile[];
}

type Json = Record<string, unknown>;

function object(value: unknown, where: string): Json {
    if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new Error(`coverage JSON: ${where} is not an object`);
    return value as Json;
}

function count(value: Json, key: string, where: string): number {
    const n = value[key];
    if (typeof n !== "number" || !Number.isFinite(n)) throw new Error(`coverage JSON: ${where}.${key} is not a number`);
    return n;
}

function lines(value: Json, key: string, where: string): number[] {
    const list = value[key];
    if (!Array.isArray(list) || list.some((n) => !Number.isInteger(n)))
        throw new Error(`coverage JSON: ${where}.${key} is not a list of line numbers`);
    return [...(list as number[])].sort((a, b) => a - b);
}

/** coverage.py's summary block (per file and "totals") into our totals. */
function totalsOf(summary: Json, where: string): CoverageTotals {
    const totals: CoverageTotals = {
        statements: count(summary, "num_statements", where),
        covered: count(summary, "covered_lines", where),
        missing: count(summary, "missing_lines", where),
        excluded: count(summary, "excluded_lines", where),
        percent: count(summary, "percent_covered", where),
    };
    if ("num_branches" in summary) {
        totals.branches = {
            total: count(summary, "num_branches", where),
            covered: count(summary, "covered_branches", where),
            partial: count(summary, "num_partial_branches", where),
            missing: count(summary, "missing_branches", where),
        };
    }
    return totals;
}

/** Parses a coverage.py JSON report (format 2 or 3); throws on anything it does not recognise. */
export function parseCoverageJson(text: string): ParsedCoverageReport {
    const root = object(JSON.parse(text), "the report");
    const meta = object(root.meta, "meta");
    const format = meta.format;
    if (format !== 2 && format !== 3) throw new Error(`coverage JSON: unsupported format ${JSON.stringify(format)}`);
    const files = Object.entries(object(root.files, "files")).map(([reportPath, raw]) => {
        const where = `files[${reportPath}]`;
        const file = object(raw, where);
        return {
            reportPath,
            ...totalsOf(object(file.summary, `${where}.summary`), `${where}.summary`),
            executedLines: lines(file, "executed_lines", where),
            missingLines: lines(file, "missing_lines", where),
        };
    });
    return {
        coveragePyVersion: String(meta.version),
        timestamp: String(meta.timestamp),
        totals: totalsOf(object(root.totals, "totals"), "totals"),
        files: files.sort((a, b) => a.reportPath.localeCompare(b.reportPath)),
    };
}
