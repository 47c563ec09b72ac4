import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTEXT_RELAY_PORT, contextRelayCommand } from "../shared/layout";
import { spyFileMounts } from "../engine/spyFiles";
import { dataVolumeMount } from "../infra/coverageVolume";
import { publishedUrl } from "../service/publishedUrl";
import { CONTEXT_RELAY_CONTAINER, LABEL_ROLE, LABEL_RUN_ID, stackObjectName, toLabelList } from "../shared/naming";
import { ScriptService } from "../testRun/testRunScript";
import { OneShotInput } from "../harvester/harvester";

/** What the relay shares with the one-shot containers: the stack, the run, the harvester image, volume and assets. */
export type ContextRelayInput = Pick<
    OneShotInput,
    "stack" | "runId" | "image" | "labels" | "volumeName" | "spyFiles"
> & {
    /** The address on the engine's machine its port is published on. */
    publishIp: string;
};

/**
 * The relay between the test runner on the host and the measured processes: the runner POSTs each test's start
 * and end to its published port; it tells every process through the unix socket each one listens on in its data
 * folder (coverage-spy/contexts_relay.py). Only the data volume joins it to the services, so it needs no network
 * of theirs and reaches every process of every service, whatever networks they are on.
 */
export function contextRelayContainerArgs(input: ContextRelayInput): docker.ContainerArgs {
    const assets = spyFileMounts(input.spyFiles, ["assets"]);
    return {
        name: stackObjectName(input.stack, CONTEXT_RELAY_CONTAINER),
        image: input.image,
        command: contextRelayCommand(input.runId),
        // Root: it writes the run's .context and event log, and removes the sockets of processes that died.
        user: "0:0",
        init: true,
        ports: [{ internal: CONTEXT_RELAY_PORT, ip: input.publishIp }],
        mounts: assets.mounts,
        volumes: [...assets.volumes, dataVolumeMount(input.volumeName)],
        labels: toLabelList({ ...input.labels, [LABEL_RUN_ID]: input.runId, [LABEL_ROLE]: "contexts" }),
        // The test run stops it with the services, once the suite is over.
        restart: "no",
        mustRun: true,
    };
}

/** Creates the relay's container. Deleted before replacement because its name is fixed. */
export function createContextRelay(
    name: string,
    input: ContextRelayInput,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    return new docker.Container(
        `${name}-${CONTEXT_RELAY_CONTAINER}`,
        contextRelayContainerArgs(input),
        pulumi.mergeOptions(opts, { deleteBeforeReplace: true }),
    );
}

/**
 * The relay as one more service of the test run: it waits for its /healthz, hands its URL to the suite as
 * COVERAGE_SPY_CONTEXTS_URL (serviceUrlEnvName of its name), and stops it with the services once the suite is
 * over, so its event log is complete before the harvest reads it.
 */
export function contextRelayScriptService(stack: string, urlEnvName: string): ScriptService {
    return {
        name: CONTEXT_RELAY_CONTAINER,
        containerName: stackObjectName(stack, CONTEXT_RELAY_CONTAINER),
        urlEnvName,
        readinessPath: "/healthz",
        readinessTimeoutSeconds: 30,
        hasHealthcheck: false,
        stopGraceSeconds: 5,
        stopWave: 0,
    };
}

/** The relay's URL for the test runner, from the port Docker published. */
export function contextRelayUrl(container: docker.Container, serviceHost: string): pulumi.Output<string> {
    return publishedUrl(container, CONTEXT_RELAY_PORT, serviceHost, "the contexts relay");
}
