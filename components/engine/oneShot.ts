import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LABEL_ROLE, LABEL_RUN_ID, stackObjectName, toLabelList } from "../shared/naming";

/** Whose one-shot container it is: the stack (its name), the image, its labels, and the run it belongs to, if any. */
export interface OneShotOwner {
    stack: string;
    image: pulumi.Input<string>;
    labels: Record<string, string>;
    /** Labelled on the container, so every run replaces (runs) it; without one, it runs when its arguments change. */
    runId?: string;
}

/**
 * A container that runs once and exits. `attach` makes the create wait for its exit; its exit code
 * must still be checked by the caller, because a non-zero exit does not fail the create.
 */
export function createOneShot(
    resourceName: string,
    containerSuffix: string,
    role: string,
    owner: OneShotOwner,
    args: Partial<docker.ContainerArgs>,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    return new docker.Container(
        resourceName,
        {
            name: stackObjectName(owner.stack, containerSuffix),
            image: owner.image,
            attach: true,
            logs: true,
            mustRun: false,
            restart: "no",
            labels: toLabelList({
                ...owner.labels,
                ...(owner.runId !== undefined ? { [LABEL_RUN_ID]: owner.runId } : {}),
                [LABEL_ROLE]: role,
            }),
            ...args,
        },
        pulumi.mergeOptions(opts, { deleteBeforeReplace: true }),
    );
}
