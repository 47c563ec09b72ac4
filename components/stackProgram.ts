import * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStack } from "./coverageSpyStack";
import { readStackConfig, stackArgsFromConfig } from "./programConfig";
import { CoverageSpyInputError } from "./options/inputError";

/** The outputs a coverage stack exports; other stacks read them with a StackReference. */
export interface CoverageStackOutputs {
    coverage: pulumi.Output<unknown>;
    runId: pulumi.Output<string>;
    reportDir: pulumi.Output<string>;
    serviceUrls: pulumi.Output<Record<string, string>>;
}

/**
 * The coverage stack program: one CoverageSpyStack from the stack's config. Used by index.ts (the CLI's
 * program) and, unchanged, as an Automation API inline program.
 */
export function coverageStackProgram(projectDir: string): CoverageStackOutputs {
    let args;
    try {
        args = stackArgsFromConfig(readStackConfig(pulumi.getProject()), projectDir);
    } catch (err) {
        // Bad config is the user's to fix: its message, without a stack trace.
        if (err instanceof CoverageSpyInputError) throw new pulumi.RunError(err.message);
        throw err;
    }
    const spy = new CoverageSpyStack("coverage", args);
    return { coverage: spy.summary, runId: spy.runId, reportDir: spy.reportDir, serviceUrls: spy.serviceUrls };
}
