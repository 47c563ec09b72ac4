import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/**
 * The URL the test run reaches a container's port at: the host port Docker published for it, on `serviceHost`
 * (127.0.0.1 on a local engine, the engine machine's address on a remote one).
 */
export function publishedUrl(
    container: docker.Container,
    internalPort: number,
    serviceHost: string,
    owner: string,
): pulumi.Output<string> {
    return container.ports.apply((ports) => {
        const published = (ports ?? []).find((p) => p.internal === internalPort);
        if (!published?.external) throw new pulumi.RunError(`coverage-spy: ${owner}: Docker published no host port`);
        return `http://${serviceHost}:${published.external}`;
    });
}
