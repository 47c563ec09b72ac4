import { CoverageDelta } from "./coverageDelta";
import { CoverageSummary } from "./coverageSummary";
import {
    describeEarlyExit,
    describePatch,
    describePerTest,
    describeTestCounts,
    patchToLead,
    ranges,
} from "./formatSummary";

export interface MarkdownOptions {
    /** The change against a base stack's run. */
    delta?: CoverageDelta;
    /** How many of the files with the most missed lines to list. Default: 10. */
    topMissedFiles?: number;
}

function pct(n: number): string {
    return `${n.toFixed(2)}%`;
}

function signed(n: number): string {
    return `${n > 0 ? "+" : n < 0 ? "−" : "±"}${Math.abs(n).toFixed(2)}`;
}

/** Table cells may not hold "|" or line breaks; backticks would open code spans. */
function cell(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/`/g, "\\`").replace(/\r?\n/g, " ");
}

function table(header: string[], rows: string[][]): string[] {
    return [
        `| ${header.join(" | ")} |`,
        `|${header.map((h, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`,
        ...rows.map((r) => `| ${r.join(" | ")} |`),
    ];
}

/**
 * The summary as GitHub-flavoured Markdown, for a CI job summary or a pull-request comment: totals, tests,
 * gates, per service, the files with the most missed lines, processes that lost data, and the delta
 * against a base run when given. Deterministic: the same summary gives the same text.
 */
export function markdownSummary(summary: CoverageSummary, options: MarkdownOptions = {}): string {
    const out: string[] = [];
    const { totals, tests, delta } = { ...summary, delta: options.delta };
    const change = delta ? ` (${signed(delta.total.delta)} vs base)` : "";
    const patch = patchToLead(summary);
    // A pull-request comment's first line is the change's figure, then its missing lines by file.
    if (patch) {
        out.push(`## Patch coverage ${cell(describePatch(patch))}`, "");
        const missed = patch.files.filter((f) => f.missingLines.length > 0);
        if (missed.length > 0)
            out.push(
                ...table(
                    ["file", "missing changed lines", "coverage"],
                    missed.map((f) => [
                        `\`${cell(`${f.service}/${f.path}`)}\``,
                        ranges(f.missingLines),
                        f.percent === undefined ? "n/a" : pct(f.percent),
                    ]),
                ),
                "",
            );
        if (patch.unmeasured.length > 0)
            out.push(`Changed, not measured: ${patch.unmeasured.map((u) => `\`${cell(u.gitPath)}\``).join(", ")}`, "");
        for (const n of patch.notes) out.push(`_${cell(n)}_`, "");
    }
    out.push(`## Coverage ${pct(totals.percent)}${change}`, "");
    const counts = tests.passed === null ? `; ${describeTestCounts(tests)}` : `: ${describeTestCounts(tests)}`;
    const outcome = tests.succeeded
        ? "passed"
        : tests.timedOutAfterSeconds !== undefined
          ? `timed out after ${tests.timedOutAfterSeconds} s (\`testTimeoutSeconds\`) and were killed`
          : `failed (exit code ${tests.exitCode})`;
    out.push(
        `${totals.covered} of ${totals.statements} statements covered, ${totals.missing} missing. ` +
            `Tests ${outcome}${cell(counts)}. Run \`${summary.runId}\`.`,
        "",
    );
    if (summary.gate) {
        const gate = summary.gate;
        out.push(gate.passed ? "**Gates passed.**" : "**Gates failed:**");
        for (const f of gate.failures) out.push(`- ${f}`);
        for (const n of gate.notes) out.push(`- _${n}_`);
        out.push("");
    }
    const lost = [
        ...summary.lostProcesses.map((p) => ({ ...p, what: "saved no data" })),
        ...(summary.interruptedProcesses ?? []).map((p) => ({
            ...p,
            what: "was killed; data up to its last periodic save kept",
        })),
    ];
    for (const svc of Object.values(summary.services)) {
        if (svc.exitedEarly)
            out.push(
                `> [!CAUTION]`,
                `> Service **${cell(svc.name)}** ${describeEarlyExit(svc.exitedEarly)}: only the data it saved before is measured.`,
                "",
            );
    }
    if (summary.perTest) out.push(`Per test: ${describePerTest(summary.perTest)}`, "");
    for (const w of summary.warnings ?? []) out.push(`> [!WARNING]`, `> ${cell(w.message)}`, "");
    if (lost.length > 0) {
        out.push(`> [!WARNING]`, `> ${lost.length} process(es) did not end cleanly, so lines may be missing:`);
        for (const p of lost)
            out.push(`> - ${p.service}: pid ${p.pid} on ${cell(p.host)} \`${cell(p.command.join(" "))}\` ${p.what}`);
        out.push("");
    }
    out.push(
        "### Services",
        "",
        ...table(
            ["service", "statements", "covered", "missing", "coverage", ...(delta ? ["change"] : [])],
            Object.values(summary.services)
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((s) => [
                    cell(s.name),
                    String(s.totals.statements),
                    String(s.totals.covered),
                    String(s.totals.missing),
                    pct(s.totals.percent),
                    ...(delta ? [delta.services[s.name] ? signed(delta.services[s.name].delta) : "new"] : []),
                ]),
        ),
        "",
    );
    const missed = summary.files
        .filter((f) => f.missing > 0)
        .sort((a, b) => b.missing - a.missing || `${a.service}:${a.path}`.localeCompare(`${b.service}:${b.path}`))
        .slice(0, options.topMissedFiles ?? 10);
    if (missed.length > 0) {
        out.push(
            "### Most missed lines",
            "",
            ...table(
                ["file", "missing", "coverage"],
                missed.map((f) => [`\`${cell(`${f.service}/${f.path}`)}\``, String(f.missing), pct(f.percent)]),
            ),
            "",
        );
    }
    if (delta && delta.gained.length + delta.lost.length + delta.added.length + delta.removed.length > 0) {
        out.push(`### Changes since base run \`${delta.baseRunId}\``, "");
        const rows = [...delta.lost, ...delta.gained].map((c) => [
            `\`${cell(`${c.service}/${c.path}`)}\``,
            pct(c.base),
            pct(c.head),
            signed(c.delta),
        ]);
        if (rows.length > 0) out.push(...table(["file", "base", "head", "change"], rows), "");
        if (delta.added.length > 0) out.push(`New files: ${delta.added.map((f) => `\`${cell(f)}\``).join(", ")}`, "");
        if (delta.removed.length > 0)
            out.push(`Removed files: ${delta.removed.map((f) => `\`${cell(f)}\``).join(", ")}`, "");
    }
    return out.join("\n").replace(/\n+$/, "\n");
}
