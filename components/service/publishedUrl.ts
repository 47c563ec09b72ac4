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
    return pulumi.all([container.ports, container.exitCode]).apply(([ports, exitCode]) => {
        const published = (ports ?? []).find((p) => p.internal === internalPort);
        if (published?.external) return `http://${serviceHost}:${published.external}`;
        // A container that already exited has no published port. Port 0, which nothing answers at, lets the readiness
        // wait run: it finds the container stopped and says how it ended, with its last log lines.
        if (exitCode !== undefined && exitCode !== null) return `http://${serviceHost}:0`;
        throw new pulumi.RunError(`coverage-spy: ${owner}: Docker published no host port`);
    });
}
