import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { stackObjectName, toLabelList } from "../shared/naming";

/** The stack's own bridge network: services reach each other by name, and no other stack's services. */
export function createStackNetwork(
    name: string,
    stack: string,
    labels: Record<string, string>,
    opts: pulumi.CustomResourceOptions,
): docker.Network {
    return new docker.Network(
        `${name}-network`,
        {
            name: stackObjectName(stack, "net"),
            labels: toLabelList(labels),
        },
        opts,
    );
}
