// The coverage stack program: one CoverageSpyStack built from the stack's config (stacks/Pulumi.<stack>.yaml).
import { coverageStackProgram, projectRoot } from "./components";

const outputs = coverageStackProgram(projectRoot(__dirname));

export const coverage = outputs.coverage;
export const runId = outputs.runId;
export const reportDir = outputs.reportDir;
export const serviceUrls = outputs.serviceUrls;
