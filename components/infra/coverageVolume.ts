import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DATA_DIR } from "../shared/layout";
import { stackObjectName, toLabelList } from "../shared/naming";

/**
 * The coverage-data volume: every service writes its data files here and the harvester reads them.
 * Its name carries the stack so two stacks never share one. Labels stay free of the run id:
 * a label change would replace the volume and lose earlier runs.
 */
export function createCoverageVolume(
    name: string,
    stack: string,
    labels: Record<string, string>,
    opts: pulumi.CustomResourceOptions,
): docker.Volume {
    return new docker.Volume(
        `${name}-data`,
        {
            name: stackObjectName(stack, "data"),
            labels: toLabelList(labels),
        },
        opts,
    );
}

/**
 * The data volume as every container that uses it mounts it, writable: measured services (their data files), the
 * prepare container (runs/), the relay (.context, the event log) and the harvester (it prunes old runs).
 */
export function dataVolumeMount(volumeName: pulumi.Input<string>): docker.types.input.ContainerVolume {
    return { volumeName, containerPath: DATA_DIR, readOnly: false };
}
