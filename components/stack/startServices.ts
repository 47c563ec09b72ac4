import * as pulumi from "@pulumi/pulumi";
import { dependedOn, startOrder } from "../service/dependencyOrder";
import { ScriptService } from "../testRun/testRunScript";
import { RunPlan } from "./planRun";
import { PreparedBase, RunEngine } from "./runEngine";

/** The run's services, started. */
export interface StartedServices {
    /** What runs each service (a container, a Deployment). */
    containers: Map<string, pulumi.Resource>;
    /** The readiness of the services others depend on. */
    readiness: Map<string, pulumi.Resource>;
    /** Service name → its URL on this machine, for services with a port (the first port). */
    urls: Record<string, pulumi.Output<string>>;
    /** Each service as the test run sees it, in the order given. */
    described: ScriptService[];
}

/**
 * Starts every service from its unchanged image on the run's engine, a measured one with the spy; each starts once
 * those it depends on are ready, the others in the order given.
 */
export function startServices<P extends PreparedBase>(
    component: pulumi.ComponentResource,
    name: string,
    plan: RunPlan<RunEngine<P>>,
    prepared: P,
): StartedServices {
    const { resolved, engine } = plan;
    const described = engine.describeServices(plan);
    const describedByName = new Map(described.map((s) => [s.name, s]));
    const needed = dependedOn(resolved.services);
    const started: StartedServices = { containers: new Map(), readiness: new Map(), urls: {}, described };
    for (const service of startOrder(resolved.services)) {
        const one = engine.startService(component, name, plan, prepared, {
            service,
            described: describedByName.get(service.name)!,
            needed: needed.has(service.name),
            dependsOn: service.dependsOn.map((d) => started.readiness.get(d)!),
        });
        started.containers.set(service.name, one.workload);
        if (one.url !== undefined) started.urls[service.name] = one.url;
        if (one.readiness !== undefined) started.readiness.set(service.name, one.readiness);
    }
    return started;
}
