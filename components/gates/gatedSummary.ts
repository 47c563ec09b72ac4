import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { CoverageSummary } from "../summary/coverageSummary";
import { CoverageDelta, coverageDelta, parseSummaryOutput } from "../summary/coverageDelta";
import { markdownSummary } from "../summary/markdownSummary";
import { RunSummaryInput, readRunSummary } from "../summary/readRunSummary";
import { GateThresholds } from "../options/gateOptions";
import { evaluateGates } from "./evaluateGates";

/** Everything the gates need besides the run: thresholds and the base stack's summary output. */
export interface GateInput {
    gates: GateThresholds;
    baseStack?: string;
    /** The base stack's `coverage` output as read through a StackReference (unknown until checked). */
    baseOutput?: unknown;
}

/**
 * The summary of a harvested run, as the stack exports it, with its gates evaluated. The summary is written
 * next to the reports as JSON and Markdown before anything can fail the update. Unreadable reports fail it here.
 */
export function summarizeRun(input: RunSummaryInput, gateInput?: GateInput): CoverageSummary {
    let summary: CoverageSummary;
    try {
        summary = readRunSummary(input);
    } catch (err) {
        throw new pulumi.RunError(
            `coverage-spy: cannot read the reports of run ${input.runId} in ${input.runDir}: ${(err as Error).message}`,
        );
    }
    let delta: CoverageDelta | undefined;
    if (gateInput) {
        const base =
            gateInput.baseOutput === undefined || gateInput.baseOutput === null
                ? undefined
                : parseSummaryOutput(gateInput.baseOutput, `the coverage output of base stack ${gateInput.baseStack}`);
        if (base) delta = coverageDelta(base, summary);
        summary.gate = {
            ...gateInput.gates,
            ...(gateInput.baseStack ? { baseStack: gateInput.baseStack } : {}),
            ...(base ? { baseRunId: base.runId } : {}),
            ...evaluateGates(summary, gateInput.gates, base),
        };
    }
    fs.writeFileSync(summary.reports.summary, JSON.stringify(summary, null, 2));
    fs.writeFileSync(summary.reports.markdown, markdownSummary(summary, { delta }));
    return summary;
}
