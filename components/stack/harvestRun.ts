import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RunPlan } from "./planRun";
import { PreparedBase, RunEngine } from "./runEngine";

/** The run's harvest. */
export interface HarvestedRun {
    /** What harvested the run (a container, a Job). */
    harvester: pulumi.Resource;
    /**
     * Resolves once the harvest ended and its reports are in the host's run folder: to why it failed, or to
     * undefined when it succeeded.
     */
    failure: pulumi.Output<string | undefined>;
}

/**
 * Once the test run ended, combines every process's data and writes the reports, then brings them into the host's
 * run folder where the summary reads them: the run's engine says how.
 */
export function harvestRun<P extends PreparedBase>(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine<P>>,
    prepared: P,
    testRun: command.local.Command,
): HarvestedRun {
    return plan.engine.harvest(component, name, plan, prepared, testRun);
}
