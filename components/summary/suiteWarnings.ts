import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CoverageSummary } from "./coverageSummary";

/**
 * What the update warns about the test suite itself: a suite killed by its time limit ran only in part, which its
 * exit code (124) alone does not say.
 */
export function suiteWarnings(summary: CoverageSummary): string[] {
    const seconds = summary.tests.timedOutAfterSeconds;
    if (seconds === undefined) return [];
    return [
        `coverage-spy: the test suite timed out after ${seconds} s (testTimeoutSeconds) and was killed ` +
            `(exit code ${summary.tests.exitCode}): the coverage is of the part that ran. Give a longer ` +
            `testTimeoutSeconds, or find the test that hangs in ${path.join(summary.reports.dir, "tests.log")}`,
    ];
}

/** Says the suite's warnings as warnings of the update, on the component. */
export function warnAboutTheSuite(
    summary: pulumi.Output<CoverageSummary | undefined>,
    resource: pulumi.Resource,
): void {
    summary.apply((s) => {
        // No summary: the harvest failed, and said so.
        if (s === undefined) return;
        // Not awaited, as the gates' error: the log call never rejects and the runtime waits for the engine to have it.
        for (const warning of suiteWarnings(s)) void pulumi.log.warn(warning, resource);
    });
}
