import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { stackObjectName, toLabelList } from "../naming";

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
