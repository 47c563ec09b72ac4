import * as pulumi from "@pulumi/pulumi";
import { CoverageSummary } from "../summary/coverageSummary";

/**
 * The exit code with which the nodejs language host's program runner (@pulumi/pulumi/cmd/run) says "failed, after
 * logging a message the user can act on": the update fails without another message of its own.
 */
const EXIT_AFTER_LOGGED_ERROR = 32;
/** The program runner the nodejs language host starts: `node .../@pulumi/pulumi/cmd/run[/index.js]`. */
const PROGRAM_RUNNER = /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run([\\/]index\.js)?$/;

/**
 * Fails the update with `message`, said as an error of `resource`, keeping every output: a throw would reject an
 * output, which would then not be written. The error diagnostic alone fails an Automation API update (its program
 * server counts logged errors), but not the plain CLI's: there the program's exit code must say it, which is set
 * only when this process is the language host's program runner (an inline program runs in the caller's process,
 * whose exit code is not ours).
 */
export function failTheUpdate(message: string, resource?: pulumi.Resource, argv: string[] = process.argv): void {
    // Not awaited: the log call never rejects (an undelivered message goes to stderr) and the runtime keeps the
    // program alive until the engine has it; awaiting would only hold the caller's apply, whose output no one reads.
    void pulumi.log.error(message, resource);
    if (PROGRAM_RUNNER.test(argv[1] ?? "")) process.exitCode = EXIT_AFTER_LOGGED_ERROR;
}

/**
 * Fails the update when the run must (a failed gate; a red suite with failOnTestFailure), after the summary and
 * reports are written (test/integration/stackOutputs.test.ts, test/integration/package.test.ts).
 */
export function failTheUpdateIfNeeded(
    summary: pulumi.Output<CoverageSummary | undefined>,
    failOnTestFailure: boolean,
    resource?: pulumi.Resource,
): void {
    summary.apply((s) => {
        // No summary: the harvest failed, and said so.
        if (s === undefined) return;
        const failure = runFailure(s, failOnTestFailure);
        if (failure) failTheUpdate(failure, resource);
    });
}

/**
 * Why this run must fail the update, or null: a failed gate, or a red suite when failOnTestFailure is set.
 * The caller reports it with failTheUpdate, which keeps the outputs it registered.
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
