import * as pulumi from "@pulumi/pulumi";
import { failTheUpdate, failTheUpdateIfNeeded } from "../gates/failTheUpdate";
import { summarizeRun } from "../gates/gatedSummary";
import { GateThresholds } from "../options/gateOptions";
import { measuredServices } from "../options/resolveArgs";
import { announceSummary } from "../summary/announceSummary";
import { CoverageSummary } from "../summary/coverageSummary";
import { warnAboutTheSuite } from "../summary/suiteWarnings";
import { HarvestedRun } from "./harvestRun";
import { RunPlan } from "./planRun";
import { RunEngine } from "./runEngine";

/**
 * "main" → "<organization>/<this project>/main", in the organization of the backend the program runs on ("organization"
 * on a file backend, the user's or team's on Pulumi Cloud); qualified names stay.
 */
export function qualifiedStackName(stack: string): string {
    return stack.includes("/") ? stack : `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;
}

/** The run's results, as the component exports them. */
export interface RunResults {
    /** The parsed coverage of the run, gates evaluated; undefined when the harvest failed. */
    summary: pulumi.Output<CoverageSummary | undefined>;
    /** The few lines said to a person at the end of the update; empty when the run failed. */
    summaryText: pulumi.Output<string>;
}

/** The gate thresholds the user set, and only those. */
function gateThresholds(plan: RunPlan<RunEngine>): GateThresholds {
    const { failUnder, failUnderPatch, failUnderPerService, maxDrop } = plan.resolved;
    return {
        ...(failUnder !== undefined ? { failUnder } : {}),
        ...(failUnderPatch !== undefined ? { failUnderPatch } : {}),
        ...(failUnderPerService !== undefined ? { failUnderPerService } : {}),
        ...(maxDrop !== undefined ? { maxDrop } : {}),
    };
}

/**
 * Reads the harvested reports into the run's summary, compares it with the base stack's (a StackReference) and
 * evaluates the gates; says the summary, warns about the suite, and fails the update, once, on this component,
 * when the harvest, a gate or (failOnTestFailure) the suite failed.
 */
export function summarizeResults(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    harvest: HarvestedRun,
): RunResults {
    const { resolved, runDir } = plan;
    const { baseStack } = resolved;
    const baseOutput =
        baseStack === undefined
            ? pulumi.output(undefined as unknown)
            : new pulumi.StackReference(
                  `${name}-base`,
                  { name: qualifiedStackName(baseStack) },
                  { parent: component },
              ).getOutput("coverage");
    const gates = gateThresholds(plan);
    const services = measuredServices(resolved.services);
    const summary = pulumi.all([harvest.failure, baseOutput]).apply(([failure, base]): CoverageSummary | undefined => {
        try {
            if (failure !== undefined) throw new Error(failure);
            return summarizeRun(
                { runDir, runId: resolved.runId, services, patch: { base: resolved.patchBase } },
                { gates, baseStack, baseOutput: base },
            );
        } catch (err) {
            // Said once, on this component, failing the update; a rejected output would be said again by the
            // stack, wrapped in "error serializing property ...".
            failTheUpdate((err as Error).message, component);
            return undefined;
        }
    });
    const summaryText = announceSummary(summary, component);
    failTheUpdateIfNeeded(summary, resolved.failOnTestFailure, component);
    warnAboutTheSuite(summary, component);
    return { summary, summaryText };
}
