// The readiness probes: each resolves with what it found ("HTTP 401", "no connection to H:P", ...) and whether that
// counts as ready, so a wait that runs out of time can name its last result.
import * as net from "net";
import { docker } from "./docker";

export interface ProbeResult {
    ready: boolean;
    /** What the probe found, as the failure names it. */
    last: string;
}

/** How long a probe waits for a connection or an answer: a remote host that drops packets must not hang the wait. */
const PROBE_WAIT_MS = 5_000;

/** Opens a TCP connection; resolves with the socket, or undefined when none could be made in time. */
function connect(host: string, port: number): Promise<net.Socket | undefined> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        const give = (value: net.Socket | undefined) => {
            socket.setTimeout(0);
            socket.removeAllListeners("error");
            socket.removeAllListeners("timeout");
            if (value === undefined) socket.destroy();
            resolve(value);
        };
        socket.setTimeout(PROBE_WAIT_MS);
        socket.once("connect", () => give(socket));
        socket.once("error", () => give(undefined));
        socket.once("timeout", () => give(undefined));
    });
}

/**
 * Whether a TCP connection to host:port can be made: the route to a service from this machine, where something
 * else (a cluster's readinessProbe) proved the service itself ready.
 */
export async function tcpReachable(host: string, port: number): Promise<ProbeResult> {
    const socket = await connect(host, port);
    socket?.destroy();
    return socket === undefined
        ? { ready: false, last: `no connection to ${host}:${port} from this machine` }
        : { ready: true, last: `connected to ${host}:${port}` };
}

/** The status of an HTTP status line ("HTTP/1.0 401 Unauthorized" → 401), or undefined. */
function statusOf(head: string): number | undefined {
    const match = /^HTTP\/\S+ ([1-5]\d\d)(?:\s|$)/.exec(head);
    return match ? Number(match[1]) : undefined;
}

/**
 * GETs `path` with the raw request line (the path as given, as the service's own clients send it). Any HTTP status
 * below 500 counts as serving (a 401 without a login, a 404 on an unknown path are the app's answers), while a 5xx
 * may come from a proxy in front of an app that is not up yet.
 */
export async function httpProbe(host: string, port: number, path: string): Promise<ProbeResult> {
    const socket = await connect(host, port);
    if (socket === undefined) return { ready: false, last: `no connection to ${host}:${port}` };
    return new Promise((resolve) => {
        let head = "";
        let done = false;
        const end = (result: ProbeResult) => {
            if (done) return;
            done = true;
            socket.destroy();
            resolve(result);
        };
        const answered = () => {
            const status = statusOf(head);
            if (status === undefined) return false;
            end({ ready: status < 500, last: `HTTP ${status}` });
            return true;
        };
        socket.setTimeout(PROBE_WAIT_MS, () =>
            end({ ready: false, last: `no HTTP answer within ${PROBE_WAIT_MS / 1000} s` }),
        );
        // Docker's port proxy accepts and then drops connections until the app listens.
        socket.on("error", () => end({ ready: false, last: "the connection was dropped" }));
        socket.on("data", (d: Buffer) => {
            head += d.toString("latin1");
            if (head.includes("\n") && !answered())
                end({ ready: false, last: "the connection closed without an HTTP answer" });
        });
        socket.on("end", () => {
            if (!answered()) end({ ready: false, last: "the connection closed without an HTTP answer" });
        });
        socket.write(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, "latin1");
    });
}

/** The address a container has on its network (the first), or undefined. */
async function networkAddress(container: string): Promise<string | undefined> {
    const result = await docker([
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
        container,
    ]);
    const address = result.status === 0 ? result.stdout.trim().split(/\s+/)[0] : "";
    return address === "" ? undefined : address;
}

/** The host port Docker published for a container's TCP port (the first binding), or undefined. */
async function publishedPort(container: string, port: number): Promise<number | undefined> {
    const result = await docker(["port", container, `${port}/tcp`]);
    const first = result.status === 0 ? result.stdout.split("\n")[0].trim() : "";
    const hostPort = first.slice(first.lastIndexOf(":") + 1);
    return /^\d+$/.test(hostPort) ? Number(hostPort) : undefined;
}

/**
 * The container accepts a TCP connection on `port` at its address on its network; on a remote engine, whose
 * networks this machine cannot reach, on the host port Docker published for it at `remoteHost`.
 */
export async function tcpProbe(container: string, port: number, remoteHost?: string): Promise<ProbeResult> {
    let address: string;
    let target = port;
    if (remoteHost !== undefined) {
        const published = await publishedPort(container, port);
        if (published === undefined)
            return { ready: false, last: `Docker published no host port for container port ${port}` };
        address = remoteHost;
        target = published;
    } else {
        const found = await networkAddress(container);
        if (found === undefined) return { ready: false, last: "the container has no address on its network" };
        address = found;
    }
    const socket = await connect(address, target);
    if (socket === undefined) return { ready: false, last: `no connection to ${address}:${target}` };
    socket.destroy();
    return { ready: true, last: "connected" };
}

/**
 * The container runs and its Docker healthcheck says "healthy": one inspect for both, as a container that exited
 * may keep its last health status.
 */
export async function healthProbe(container: string): Promise<ProbeResult> {
    const result = await docker([
        "inspect",
        "-f",
        "{{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
        container,
    ]);
    const [running, status = ""] = result.status === 0 ? result.stdout.trim().split(" ") : ["false"];
    return running === "true" && status === "healthy"
        ? { ready: true, last: "healthy" }
        : { ready: false, last: `health status '${status || "none"}'` };
}
