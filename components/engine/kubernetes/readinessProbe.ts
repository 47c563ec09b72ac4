import * as k8s from "@pulumi/kubernetes";
import { ResolvedService } from "../../options/resolveArgs";
import { PROBE_PERIOD_SECONDS } from "./objectBasics";

/** A Docker healthcheck's test as the command an exec probe runs; undefined for ["NONE"] (no check). */
function healthcheckCommand(test: string[]): string[] | undefined {
    const [kind, ...rest] = test;
    if (kind === "NONE") return undefined;
    if (kind === "CMD-SHELL") return ["sh", "-c", rest.join(" ")];
    if (kind === "CMD") return rest;
    return test;
}

/**
 * The app container's readinessProbe, chosen as the Docker engine's readiness wait chooses its probe: the healthcheck
 * (run in the container, every PROBE_PERIOD_SECONDS; its own timings make Docker's "unhealthy", which readiness has
 * not), else the TCP port, else an HTTP GET of readinessPath on the first port; none when the service has no port
 * (ready once running). One difference stays: Kubernetes takes 200-399 as ready where the Docker wait takes any status
 * below 500, so readinessPath must answer with a success or a redirect.
 */
export function readinessProbe(service: ResolvedService): k8s.types.input.core.v1.Probe | undefined {
    const every = { periodSeconds: PROBE_PERIOD_SECONDS };
    if (service.healthcheck !== undefined) {
        const command = healthcheckCommand(service.healthcheck.test);
        return command && { exec: { command }, ...every };
    }
    if (service.readinessTcpPort !== undefined) return { tcpSocket: { port: service.readinessTcpPort }, ...every };
    if (service.ports.length > 0)
        return { httpGet: { path: service.readinessPath, port: service.ports[0].internal }, ...every };
    return undefined;
}
