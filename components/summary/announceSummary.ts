import * as pulumi from "@pulumi/pulumi";
import { CoverageSummary } from "./coverageSummary";
import { formatSummary } from "./formatSummary";

/**
 * The run's formatted summary (a few lines: totals, tests, per service, the reports), said as an info message of
 * `resource` so the plain `pulumi up` shows it in its Diagnostics, line by line, where a stack output would be one
 * escaped string. Empty when the harvest failed (that failure is said instead). Call it before anything that may
 * fail the update, so the cause is said after the summary.
 */
export function announceSummary(
    summary: pulumi.Output<CoverageSummary | undefined>,
    resource: pulumi.Resource,
): pulumi.Output<string> {
    return summary.apply((s) => {
        if (s === undefined) return "";
        const text = formatSummary(s);
        // Not awaited, as the other messages of the run: the runtime keeps the program alive until the engine has it.
        void pulumi.log.info(text, resource);
        return text;
    });
}
