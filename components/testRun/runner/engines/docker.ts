// The Docker engine's operations: each service is one container, asked and stopped with the docker CLI.
import { ServiceDescription } from "../description";
import { docker } from "../docker";
import { log } from "../log";
import { ProbeResult, healthProbe, httpProbe, tcpProbe } from "../probes";
import { CopyResult, Engine, ServiceState, StopResult } from "./engine";

/** The pause between two probes that ask Docker (a healthcheck's status, a container's address). */
const PROBE_INTERVAL_MS = 200;
/**
 * The pause between two HTTP probes, a connection each and no docker call: a service that is starting is found
 * ready within this, not a whole PROBE_INTERVAL_MS later.
 */
const SOCKET_PROBE_INTERVAL_MS = 50;

/** Host and port of http://HOST:PORT[/...]. */
function hostAndPort(url: string): { host: string; port: number } {
    const rest = url.replace(/^[a-z]+:\/\//, "");
    const hostPort = rest.split("/")[0];
    const colon = hostPort.lastIndexOf(":");
    return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

/** A container's state, or undefined when Docker does not know it. */
async function containerState(container: string): Promise<ServiceState | undefined> {
    const result = await docker([
        "inspect",
        "-f",
        "{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}",
        container,
    ]);
    if (result.status !== 0) return undefined;
    const [running, exitCode, oomKilled] = result.stdout.trim().split(" ");
    return {
        running: running === "true",
        exitCode: /^-?\d+$/.test(exitCode ?? "") ? Number(exitCode) : -1,
        oomKilled: oomKilled === "true",
    };
}

async function running(s: ServiceDescription): Promise<boolean> {
    const result = await docker(["inspect", "-f", "{{.State.Running}}", s.containerName]);
    return result.status === 0 && result.stdout.trim() === "true";
}

async function showLogs(s: ServiceDescription): Promise<void> {
    log(`last lines of ${s.containerName}:`);
    await docker(["logs", "--tail", "40", s.containerName], true);
}

async function stop(s: ServiceDescription): Promise<StopResult> {
    const result = await docker(["stop", "--time", String(s.stopGraceSeconds), s.containerName]);
    return { stopped: result.status === 0 };
}

async function copySource(s: ServiceDescription, target: string): Promise<CopyResult> {
    const source = (s.sourcePath ?? "").replace(/\/+$/, "");
    const result = await docker(["cp", `${s.containerName}:${source}/.`, target]);
    return result.status === 0 ? {} : { said: result.stderr };
}

function probe(s: ServiceDescription, remoteHost: string | undefined): Promise<ProbeResult> | undefined {
    if (s.hasHealthcheck) return healthProbe(s.containerName);
    if (s.readinessTcpPort !== undefined) return tcpProbe(s.containerName, s.readinessTcpPort, remoteHost);
    if (s.url !== undefined) {
        const { host, port } = hostAndPort(s.url);
        return httpProbe(host, port, s.readinessPath);
    }
    return undefined;
}

/** Short where a probe asks Docker nothing (an HTTP probe). */
function probeInterval(s: ServiceDescription): number {
    return s.hasHealthcheck || s.readinessTcpPort !== undefined || s.url === undefined
        ? PROBE_INTERVAL_MS
        : SOCKET_PROBE_INTERVAL_MS;
}

function probeDescription(s: ServiceDescription): string {
    if (s.hasHealthcheck) return "probe: healthcheck";
    if (s.readinessTcpPort !== undefined) return `probe: TCP port ${s.readinessTcpPort}`;
    return `probe: GET ${s.url ?? ""}${s.readinessPath}`;
}

function readinessFix(s: ServiceDescription): string {
    if (s.hasHealthcheck)
        return "fix its healthcheck (it must exit 0 once the service serves) or give a longer readinessTimeoutSeconds";
    if (s.readinessTcpPort !== undefined)
        return "set readinessTcpPort to a port the service listens on, or give a longer readinessTimeoutSeconds";
    return (
        "any HTTP status below 500 counts as ready: set readinessPath to a path that answers, " +
        "readinessTcpPort to wait for a port instead, or a longer readinessTimeoutSeconds"
    );
}

export const dockerEngine: Engine = {
    check: () => Promise.resolve(),
    state: (s) => containerState(s.containerName),
    running,
    showLogs,
    stop,
    // From the stopped container.
    copiesBesideStop: false,
    copySource,
    probe,
    probeInterval,
    probeDescription,
    readinessFix,
};
