// Pure helpers of the serving benchmark (bench/serving/serving.ts): the load script's result, the order of the
// sides in a round, medians and spreads, the Markdown table. Unit-tested in test/unit/benchServing.test.ts.
import { median } from "../median";

/** One wrk pass, as bench/serving/report.lua prints it (latencies in microseconds). */
export interface PassResult {
    requests: number;
    seconds: number;
    rps: number;
    p50_us: number;
    p90_us: number;
    p99_us: number;
    max_us: number;
    mean_us: number;
    errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

export const PASSES = ["cold", "warm"] as const;
export type PassName = (typeof PASSES)[number];

/** What bench/serving/load.sh writes: the two passes of one side in one round. */
export interface LoadResult {
    address: string;
    path: string;
    connection: string;
    connections: number;
    seconds: number;
    cold: PassResult;
    warm: PassResult;
}

function isPass(value: unknown): value is PassResult {
    const pass = value as PassResult;
    return (
        typeof pass === "object" &&
        pass !== null &&
        ["requests", "seconds", "rps", "p50_us", "p99_us"].every(
            (key) => typeof (pass as unknown as Record<string, unknown>)[key] === "number",
        ) &&
        typeof pass.errors === "object" &&
        pass.errors !== null
    );
}

/** Parses load.sh's JSON; throws naming what is missing. */
export function parseLoadResult(text: string): LoadResult {
    const parsed = JSON.parse(text) as LoadResult;
    for (const pass of PASSES) {
        if (!isPass(parsed[pass]))
            throw new Error(`load result without a complete ${pass} pass: ${text.slice(0, 300)}`);
    }
    return parsed;
}

/** Errors wrk counted in a pass: socket errors, timeouts, and responses other than 2xx/3xx. */
export function errorCount(pass: PassResult): number {
    return Object.values(pass.errors).reduce((sum, n) => sum + n, 0);
}

/**
 * The order of the sides in a round: as given in even rounds, reversed in odd ones (A B, B A, A B ...), so a slow
 * drift of the shared machine does not always favour the side that runs first.
 */
export function sideOrder<T>(sides: readonly T[], round: number): T[] {
    return round % 2 === 0 ? [...sides] : [...sides].reverse();
}

export interface Spread {
    median: number;
    min: number;
    max: number;
    count: number;
}

export function spread(values: number[]): Spread {
    return { median: median(values), min: Math.min(...values), max: Math.max(...values), count: values.length };
}

/** (max − min) / median in percent: how far apart the rounds are. */
export function relativeSpread(s: Spread): number {
    return s.median > 0 ? ((s.max - s.min) / s.median) * 100 : NaN;
}

/**
 * measured / unmeasured of the same round, for the rounds where both sides have a value: pairs taken on the same
 * stretch of the shared machine's load.
 */
export function pairedRatios(measured: Array<number | undefined>, unmeasured: Array<number | undefined>): number[] {
    const ratios: number[] = [];
    measured.forEach((m, round) => {
        const u = unmeasured[round];
        if (m !== undefined && u !== undefined && u > 0) ratios.push(m / u);
    });
    return ratios;
}

/** A number rounded to `digits` decimals, or "–" when there is none. */
export function fixed(value: number, digits: number): string {
    return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** "median (min–max)" with the given decimals; only the median when there is one value. */
export function formatSpread(s: Spread, digits: number): string {
    if (s.count === 0) return "–";
    if (s.count === 1) return fixed(s.median, digits);
    return `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
}

/** A Markdown table; cells must not contain "|". */
export function markdownTable(header: string[], rows: string[][]): string {
    const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Processes per core from the summary's `cores` ({ sysmon: 6 } → "sysmon"; { ctrace: 5, pytrace: 1 } → both). */
export function coreLabel(cores: Record<string, number> | undefined): string {
    const entries = Object.entries(cores ?? {}).filter(([, n]) => n > 0);
    if (entries.length === 0) return "?";
    if (entries.length === 1) return entries[0][0];
    return entries.map(([core, n]) => `${core} ${n}`).join(", ");
}
