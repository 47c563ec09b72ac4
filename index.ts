// The coverage stack program: one CoverageSpyStack built from the stack's config (stacks/Pulumi.<stack>.yaml).
import * as pulumi from "@pulumi/pulumi";
import { CoverageSpyStack, projectRoot, readStackConfig, stackArgsFromConfig } from "./components";

const args = stackArgsFromConfig(readStackConfig(pulumi.getProject()), projectRoot(__dirname));
const spy = new CoverageSpyStack("coverage", args);

export const coverage = spy.summary;
export const runId = spy.runId;
export const reportDir = spy.reportDir;
export const serviceUrls = spy.serviceUrls;
