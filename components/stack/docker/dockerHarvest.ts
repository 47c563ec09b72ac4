import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { EngineKind } from "../../engine/engineKind";
import { createHarvester, harvesterReportDir } from "../../harvester/harvester";
import { oneShotFailure } from "../../harvester/oneShotExit";
import type { HarvestedRun } from "../harvestRun";
import type { RunPlan } from "../planRun";
import type { RunEngine } from "../runEngine";
import type { DockerPreparedRun } from "./dockerPrepare";

/**
 * Once the test run ended, combines every process's data and writes the reports (the harvester), then brings them
 * into the host's run folder where the summary reads them: the engine says how (a local engine's harvester writes
 * there; a remote one's are copied out).
 */
export function harvestDocker(
    kind: EngineKind,
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine>,
    prepared: DockerPreparedRun,
    testRun: command.local.Command,
): HarvestedRun {
    const { resolved } = plan;
    const input = { ...prepared.oneShot, lostProcesses: resolved.lostProcesses, reports: kind.harvestReports };
    const harvester = createHarvester(name, input, { parent: component, dependsOn: [testRun, ...prepared.spyReady] });
    const reportsHere = kind.reportsHome(
        name,
        { runId: resolved.runId, harvester, from: harvesterReportDir(input), to: plan.runDir, cliEnv: prepared.cliEnv },
        { parent: component },
    );
    const failure = pulumi
        .all([harvester.exitCode, harvester.containerLogs, reportsHere])
        .apply(([code, logs]) => oneShotFailure("harvesting coverage", code, logs));
    return { harvester, failure };
}
