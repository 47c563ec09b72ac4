import * as pulumi from "@pulumi/pulumi";
import { CoverageSummary } from "../summary/coverageSummary";

/**
 * Fails the update when the run must (a failed gate; a red suite with failOnTestFailure) through an error
 * diagnostic rather than a throw: a throw would reject the summary itself, so no output would be written,
 * while an error diagnostic fails the update and keeps the outputs it registered
 * (test/integration/stackOutputs.test.ts).
 */
export function failTheUpdateIfNeeded(
    summary: pulumi.Output<CoverageSummary>,
    failOnTestFailure: boolean,
    resource?: pulumi.Resource,
): void {
    summary.apply((s) => {
        // No summary: the harvest failed, and said so.
        if (s === undefined) return;
        const failure = runFailure(s, failOnTestFailure);
        // Not awaited: the log call never rejects (an undelivered message goes to stderr) and the runtime keeps the
        // program alive until the engine has it; awaiting would only hold this apply, whose output no one reads.
        if (failure) void pulumi.log.error(failure, resource);
    });
}

/**
 * Why this run must fail the update, or null: a failed gate, or a red suite when failOnTestFailure is set.
 * The caller reports it with pulumi.log.error, which fails the update but keeps the outputs it registered.
 */
export function runFailure(summary: CoverageSummary, failOnTestFailure: boolean): string | null {
    const reasons: string[] = [];
    if (summary.gate && !summary.gate.passed)
        reasons.push(...summary.gate.failures.map((f) => `coverage gate failed: ${f}`));
    if (failOnTestFailure && !summary.tests.succeeded)
        reasons.push(`the test suite failed (exit code ${summary.tests.exitCode})`);
    if (reasons.length === 0) return null;
    return `coverage-spy: ${reasons.join("; ")}. The coverage outputs and reports were written: ${summary.reports.dir}`;
}
