// A consumer of coverage stacks: the coverage delta of a branch stack against the main stack.
//   pulumi config set headStack organization/coverage-spy/<branch stack>
//   pulumi up
// (cli/project/engineWorkspace.ts shows how to run a program inline without the nodejs language plugin.)
import * as pulumi from "@pulumi/pulumi";
import { coverageDeltaProgram } from "../../components/consumer/coverageDeltaProgram";

const config = new pulumi.Config();
const outputs = coverageDeltaProgram({
    baseStack: config.get("baseStack") ?? "organization/coverage-spy/main",
    headStack: config.require("headStack"),
});

export const delta = outputs.delta;
export const totalDelta = outputs.totalDelta;
export const filesLost = outputs.filesLost;
export const filesGained = outputs.filesGained;
