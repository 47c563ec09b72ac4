import * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStack } from "./coverageSpyStack";
import { readStackConfig, stackArgsFromConfig } from "./programConfig";

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
    const spy = new CoverageSpyStack("coverage", stackArgsFromConfig(readStackConfig(pulumi.getProject()), projectDir));
    return { coverage: spy.summary, runId: spy.runId, reportDir: spy.reportDir, serviceUrls: spy.serviceUrls };
}
