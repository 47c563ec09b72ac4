import * as pulumi from "@pulumi/pulumi";
import { RunPlan } from "./planRun";
import { PreparedBase, RunEngine } from "./runEngine";

/** What a Docker engine's preparation gives the later steps (the unit tests' stand-ins are of this shape). */
export type { DockerPreparedRun as PreparedRun } from "./docker/dockerPrepare";

/**
 * Reaches the run's engine (checking at preview what it must hold) and makes the stack's data home ready for this
 * run: on Docker the data volume, network and spy volume; on a cluster the namespace, the data claim and collector.
 */
export function prepareRun<P extends PreparedBase>(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine<P>>,
    inputError: (message: string) => Error,
): P {
    return plan.engine.prepare(component, name, plan, inputError);
}
