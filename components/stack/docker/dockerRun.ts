import { EngineKind } from "../../engine/engineKind";
import { contextRelayUrl, createContextRelay } from "../../contexts/contextRelay";
import { publishAddress } from "../../shared/engineAddress";
import { scriptServices } from "../../testRun/scriptServices";
import type { RunEngine } from "../runEngine";
import { DockerPreparedRun, prepareDocker } from "./dockerPrepare";
import { harvestDocker } from "./dockerHarvest";
import { startDockerService } from "./dockerStart";

/** A Docker engine as the run's engine: what differs between a local and a remote one is its kind. */
export interface DockerRunEngine extends RunEngine<DockerPreparedRun>, EngineKind {}

/** The run's engine on Docker, local or remote (`kind`): each service a container, the harvester one more. */
export function dockerRunEngine(kind: EngineKind): DockerRunEngine {
    return {
        ...kind,
        prepare: (component, name, plan, inputError) => prepareDocker(kind, component, name, plan, inputError),
        describeServices: (plan) => scriptServices(plan.resolved.services, plan.stack),
        startService: (component, name, plan, prepared, start) =>
            startDockerService(kind, component, name, plan, prepared, start),
        startContextRelay: (component, name, plan, prepared) => {
            const { serviceHost } = plan.resolved;
            const relay = createContextRelay(
                name,
                { ...prepared.oneShot, publishIp: publishAddress(serviceHost) },
                { parent: component, dependsOn: [prepared.preparation] },
            );
            return { relay, url: contextRelayUrl(relay, serviceHost) };
        },
        // The runner's default.
        testRunEngine: () => undefined,
        harvest: (component, name, plan, prepared, testRun) =>
            harvestDocker(kind, component, name, plan, prepared, testRun),
        stackPlaces: (prepared) => ({ volumeName: prepared.volume.name, networkName: prepared.network.name }),
    };
}
