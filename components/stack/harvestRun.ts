import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHarvester, harvesterReportDir } from "../harvester/harvester";
import { oneShotFailure } from "../harvester/oneShotExit";
import { PreparedRun } from "./prepareRun";
import { RunPlan } from "./planRun";

/** The run's harvest. */
export interface HarvestedRun {
    harvester: docker.Container;
    /**
     * Resolves once the harvest ended and its reports are in the host's run folder: to why it failed, or to
     * undefined when it succeeded.
     */
    failure: pulumi.Output<string | undefined>;
}

/**
 * Once the test run ended, combines every process's data and writes the reports (the harvester), then brings them
 * into the host's run folder where the summary reads them: the engine says how (a local engine's harvester writes
 * there; a remote one's are copied out).
 */
export function harvestRun(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan,
    prepared: PreparedRun,
    testRun: command.local.Command,
): HarvestedRun {
    const { engine, resolved } = plan;
    const input = { ...prepared.oneShot, lostProcesses: resolved.lostProcesses, reports: engine.harvestReports };
    const harvester = createHarvester(name, input, { parent: component, dependsOn: [testRun, ...prepared.spyReady] });
    const reportsHere = engine.reportsHome(
        name,
        { runId: resolved.runId, harvester, from: harvesterReportDir(input), to: plan.runDir, cliEnv: prepared.cliEnv },
        { parent: component },
    );
    const failure = pulumi
        .all([harvester.exitCode, harvester.containerLogs, reportsHere])
        .apply(([code, logs]) => oneShotFailure("harvesting coverage", code, logs));
    return { harvester, failure };
}
