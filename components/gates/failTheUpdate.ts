import * as pulumi from "@pulumi/pulumi";
import { CoverageSummary } from "../summary/coverageSummary";
import { runFailure } from "../summary/readRunSummary";

/**
 * Fails the update when the run must (a failed gate; a red suite with failOnTestFailure) through an error
 * diagnostic rather than a throw: a throw would reject the summary itself, so no output would be written,
 * while an error diagnostic fails the update and keeps the outputs it registered (test/integration/stackOutputs.test.ts).
 */
export function failTheUpdateIfNeeded(summary: pulumi.Output<CoverageSummary>, failOnTestFailure: boolean, resource?: pulumi.Resource): void {
    summary.apply((s) => {
        // No summary: the harvest failed, and said so.
        if (s === undefined) return;
        const failure = runFailure(s, failOnTestFailure);
        if (failure) pulumi.log.error(failure, resource);
    });
}
