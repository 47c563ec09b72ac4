// The readiness wait of one service: its healthcheck healthy, else its TCP port open, else its URL answering, else
// its container running.
import { ServiceDescription } from "./description";
import { containerState, describeExit, docker, showLogs } from "./docker";
import { ProbeResult, healthProbe, httpProbe, tcpProbe } from "./probes";
import { RunFailure, log, nowMs } from "./log";

/** The pause between two probes that ask Docker (a healthcheck's status, a container's address). */
const PROBE_INTERVAL_MS = 200;
/**
 * The pause between two HTTP probes, a connection each and no docker call: a service that is starting is found
 * ready within this, not a whole PROBE_INTERVAL_MS later.
 */
const SOCKET_PROBE_INTERVAL_MS = 50;
/** How often a wait asks Docker whether the service still runs, however often it probes. */
const RUNNING_CHECK_INTERVAL_MS = 200;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How the service's readiness is probed, as the failure names it. */
export function probeDescription(s: ServiceDescription): string {
    if (s.hasHealthcheck) return "probe: healthcheck";
    if (s.readinessTcpPort !== undefined) return `probe: TCP port ${s.readinessTcpPort}`;
    return `probe: GET ${s.url ?? ""}${s.readinessPath}`;
}

/** The options that make the service's probe pass, for the failure to name. */
export function readinessFix(s: ServiceDescription): string {
    if (s.hasHealthcheck)
        return "fix its healthcheck (it must exit 0 once the service serves) or give a longer readinessTimeoutSeconds";
    if (s.readinessTcpPort !== undefined)
        return "set readinessTcpPort to a port the service listens on, or give a longer readinessTimeoutSeconds";
    return (
        "any HTTP status below 500 counts as ready: set readinessPath to a path that answers, " +
        "readinessTcpPort to wait for a port instead, or a longer readinessTimeoutSeconds"
    );
}

/** Host and port of http://HOST:PORT[/...]. */
function hostAndPort(url: string): { host: string; port: number } {
    const rest = url.replace(/^[a-z]+:\/\//, "");
    const hostPort = rest.split("/")[0];
    const colon = hostPort.lastIndexOf(":");
    return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

/** One probe of the service, or undefined when it has nothing to probe (ready once running). */
function probe(s: ServiceDescription, remoteHost: string | undefined): Promise<ProbeResult> | undefined {
    if (s.hasHealthcheck) return healthProbe(s.containerName);
    if (s.readinessTcpPort !== undefined) return tcpProbe(s.containerName, s.readinessTcpPort, remoteHost);
    if (s.url !== undefined) {
        const { host, port } = hostAndPort(s.url);
        return httpProbe(host, port, s.readinessPath);
    }
    return undefined;
}

/** The pause after a probe that failed: short where a probe asks Docker nothing (an HTTP probe). */
function probeInterval(s: ServiceDescription): number {
    return s.hasHealthcheck || s.readinessTcpPort !== undefined || s.url === undefined
        ? PROBE_INTERVAL_MS
        : SOCKET_PROBE_INTERVAL_MS;
}

async function running(container: string): Promise<boolean> {
    const result = await docker(["inspect", "-f", "{{.State.Running}}", container]);
    return result.status === 0 && result.stdout.trim() === "true";
}

/** The failure of a service that stopped before it was ready, below its last log lines. */
async function stoppedEarly(s: ServiceDescription): Promise<RunFailure> {
    const state = await containerState(s.containerName);
    const ended =
        state === undefined
            ? "the container no longer exists"
            : state.running
              ? "it was not running"
              : describeExit(state);
    await showLogs(s.containerName);
    return new RunFailure(
        `service ${s.name} stopped before it was ready (${ended}; its last log lines are above): ` +
            "check its command, entrypoint and env",
    );
}

/**
 * Waits until the service is ready and says how long it took. Throws a RunFailure naming the cause when it stops
 * first or its time runs out (with its last probe result and the options that fix it); its last log lines are
 * shown then.
 */
export async function waitReady(s: ServiceDescription, remoteHost?: string): Promise<void> {
    const start = nowMs();
    let checkedRunning = -Infinity;
    for (;;) {
        const pending = probe(s, remoteHost);
        if (pending === undefined) {
            if (!(await running(s.containerName))) throw await stoppedEarly(s);
            break;
        }
        const { ready, last } = await pending;
        if (ready) break;
        const outOfTime = nowMs() - start >= s.readinessTimeoutSeconds * 1000;
        // Asked only after a probe failed: a ready probe proves the service runs (each probe's own docker inspect
        // says so where it has one), and on a warm run the service is usually ready at the first probe. Always
        // before the wait gives up, so a service that stopped is named as such.
        if (outOfTime || nowMs() - checkedRunning >= RUNNING_CHECK_INTERVAL_MS) {
            if (!(await running(s.containerName))) throw await stoppedEarly(s);
            checkedRunning = nowMs();
        }
        if (outOfTime) {
            await showLogs(s.containerName);
            throw new RunFailure(
                `service ${s.name} was not ready within ${s.readinessTimeoutSeconds} s ` +
                    `(${probeDescription(s)}; last: ${last}): ${readinessFix(s)}`,
            );
        }
        await pause(probeInterval(s));
    }
    log(`service ${s.name} ready in ${nowMs() - start} ms`);
}
