import { ResolvedService } from "../../options/resolveArgs";
import { MAX_LABEL_LENGTH, COLLECTOR_NAME } from "./names";

/**
 * A DNS-1035 label: what a Service may be named (a letter first). A service's name on the cluster is its Deployment's,
 * its container's and its Service's, which the other pods reach it by, as they reach it by name on Docker's network.
 */
const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** What the kubelet can run as: a uid, or uid:gid; a user name means nothing outside the image's /etc/passwd. */
const NUMERIC_USER = /^\d+(:\d+)?$/;

/** A name the Kubernetes rules allow, close to `name`, for the message to suggest. */
function suggestedName(name: string): string {
    const cleaned = name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^[^a-z]+|-+$/g, "");
    return (cleaned === "" ? "service" : cleaned).slice(0, MAX_LABEL_LENGTH).replace(/-+$/, "");
}

/** The problems of one service's options on Kubernetes: each names the option, the cause and the fix. */
function problemsOf(service: ResolvedService, where: string): string[] {
    const problems: string[] = [];
    const { name } = service;
    if (!SERVICE_NAME.test(name) || name.length > MAX_LABEL_LENGTH)
        problems.push(
            `${where}.name "${name}" cannot name a Kubernetes Service (the other pods reach the service by it): use ` +
                `lowercase letters, digits and "-", a letter first, at most 63 characters, e.g. "${suggestedName(name)}"`,
        );
    else if (name === COLLECTOR_NAME)
        problems.push(`${where}.name "${name}" is taken by coverage-spy's own collector; name the service differently`);
    if (service.mounts.length > 0)
        problems.push(
            `${where}.mounts: a host folder or Docker volume cannot be mounted into pods on a cluster; remove the ` +
                "mounts, or run this stack on a Docker engine",
        );
    if (service.user !== undefined && !NUMERIC_USER.test(service.user))
        problems.push(
            `${where}.user "${service.user}": Kubernetes runs a container as a numeric user only; give its uid ` +
                `(or uid:gid), e.g. from \`docker run --rm --entrypoint id IMAGE -u ${service.user}\``,
        );
    if (service.stopSignal !== "SIGTERM")
        problems.push(
            `${where}.stopSignal "${service.stopSignal}": the kubelet stops a pod with the image's STOPSIGNAL ` +
                "(SIGTERM unless the image says otherwise); remove stopSignal, or set STOPSIGNAL in the image",
        );
    return problems;
}

/**
 * What the services' options ask that a Kubernetes cluster cannot do, checked before anything is created (the steps
 * call it at preview, with the other input problems). `services[i]` names each, as the options' validation does.
 */
export function kubernetesServiceProblems(services: ResolvedService[]): string[] {
    return services.flatMap((service, i) => problemsOf(service, `services[${i}]`));
}
