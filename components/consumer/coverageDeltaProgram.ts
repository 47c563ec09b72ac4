import * as pulumi from "@pulumi/pulumi";
import { CoverageDelta, coverageDelta, parseSummaryOutput } from "../summary/coverageDelta";

export interface CoverageDeltaProgramArgs {
    /** The stack to compare against, e.g. "organization/coverage-spy/main". */
    baseStack: string;
    /** The stack whose change is wanted, e.g. a branch stack. */
    headStack: string;
}

export interface CoverageDeltaOutputs {
    delta: pulumi.Output<CoverageDelta>;
    /** head − base total, in percentage points: the number a dashboard shows. */
    totalDelta: pulumi.Output<number>;
    /** "service:path" of files that lost coverage. */
    filesLost: pulumi.Output<string[]>;
    filesGained: pulumi.Output<string[]>;
}

/**
 * A program that consumes two coverage stacks' outputs through StackReferences and exports how the head's
 * coverage differs from the base's (total, per service, per file). Both summaries are checked first.
 */
export function coverageDeltaProgram(args: CoverageDeltaProgramArgs): CoverageDeltaOutputs {
    const read = (name: string, stack: string) =>
        new pulumi.StackReference(name, { name: stack })
            .getOutput("coverage")
            .apply((value) => parseSummaryOutput(value, `the coverage output of stack ${stack}`));
    const delta = pulumi
        .all([read("base", args.baseStack), read("head", args.headStack)])
        .apply(([base, head]) => coverageDelta(base, head));
    return {
        delta,
        totalDelta: delta.apply((d) => d.total.delta),
        filesLost: delta.apply((d) => d.lost.map((f) => `${f.service}:${f.path}`)),
        filesGained: delta.apply((d) => d.gained.map((f) => `${f.service}:${f.path}`)),
    };
}
