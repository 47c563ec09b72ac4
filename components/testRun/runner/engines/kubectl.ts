// The kubectl engine's operations: each service is a Deployment (its pods spread over the cluster's nodes), asked,
// stopped and read with kubectl; its measured source is copied from its image on this machine's Docker engine.
import * as path from "path";
import { CommandResult, isExecutableFile, onPath, runCommand } from "../command";
import { KubectlEngineDescription, ServiceDescription } from "../description";
import { docker } from "../docker";
import { RunFailure, log, nowMs } from "../log";
import { ProbeResult, tcpReachable } from "../probes";
import { CopyResult, Engine, ServiceState, StopResult } from "./engine";
import {
    PodPlace,
    containerImage,
    deploymentReadiness,
    deploymentState,
    podGraceSeconds,
    podSelector,
    podsForLogs,
    podsNotEnded,
    runningPods,
} from "./kubectlJson";

/** After the pods' own grace, how long a stop waits for their processes to end (the kubelet's round trips). */
export const STOP_MARGIN_SECONDS = 30;
/** The pause between two looks at the stopping pods: each is a kubectl call. */
const STOP_POLL_MS = 200;
/** The pause between two readiness probes: each is a kubectl call. */
const PROBE_INTERVAL_MS = 500;
/** Never run: the container made to copy an image's files out needs a command, and the image may have none. */
const NEVER_RUN = "/coverage-spy-never-run";

/**
 * A value as it can be pasted into a shell, for the commands the messages suggest. components/shared/shell.ts has
 * the same rule for the component's messages; the runner's folder imports nothing from outside it (it runs as it is).
 */
function shellWord(value: string): string {
    return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** Where the Deployments are, as kubectl's global flags (its kubeconfig: kubectlEnvironment). */
export function clusterFlags(e: KubectlEngineDescription): string[] {
    return [...(e.context !== undefined ? ["--context", e.context] : []), "--namespace", e.namespace];
}

/**
 * kubectl's environment: this process's, with the description's kubeconfig as KUBECONFIG, which may name several
 * files (--kubeconfig takes one).
 */
export function kubectlEnvironment(e: KubectlEngineDescription, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return e.kubeconfig !== undefined ? { ...env, KUBECONFIG: e.kubeconfig } : env;
}

/** How a suggested command names the kubeconfig: one file as kubectl's flag, several as KUBECONFIG before it. */
function hintKubeconfig(kubeconfig: string | undefined): { prefix: string; flags: string[] } {
    if (kubeconfig === undefined) return { prefix: "", flags: [] };
    if (kubeconfig.includes(path.delimiter)) return { prefix: `KUBECONFIG=${shellWord(kubeconfig)} `, flags: [] };
    return { prefix: "", flags: ["--kubeconfig", kubeconfig] };
}

/** The kubectl program: the description's, else the first on PATH; undefined when there is none. */
export function findKubectl(e: KubectlEngineDescription, searchPath: string | undefined): string | undefined {
    if (e.kubectl !== undefined) return isExecutableFile(e.kubectl) ? e.kubectl : undefined;
    return onPath("kubectl", searchPath);
}

/** The failure of a run whose kubectl cannot be found, naming where it was looked for and the fix. */
export function missingKubectl(e: KubectlEngineDescription, searchPath: string | undefined): string {
    const where =
        e.kubectl !== undefined
            ? `engine.kubectl ${e.kubectl} is not an executable file`
            : `no kubectl on PATH (${searchPath ?? ""})`;
    return (
        `${where}: the kubectl engine needs it to ask, stop and read the services' pods. Install kubectl, or put it ` +
        'on PATH (for the project\'s local cluster: eval "$(bash scripts/k8s-cluster.sh env)"), or name it in the ' +
        "run's engine.kubectl"
    );
}

class KubectlEngine implements Engine {
    private readonly program: string | undefined;
    /** The pods each service (by name) was seen running with: one gone since then was lost without a stop. */
    private readonly seen = new Map<string, PodPlace[]>();

    constructor(
        private readonly e: KubectlEngineDescription,
        private readonly searchPath: string | undefined,
    ) {
        this.program = findKubectl(e, searchPath);
    }

    check(): Promise<void> {
        return this.program === undefined
            ? Promise.reject(new RunFailure(missingKubectl(this.e, this.searchPath)))
            : Promise.resolve();
    }

    private kubectl(args: string[], toStderr = false): Promise<CommandResult> {
        return runCommand(
            this.program ?? "kubectl",
            [...clusterFlags(this.e), ...args],
            toStderr,
            kubectlEnvironment(this.e, process.env),
        );
    }

    /** kubectl as a message suggests it, with the run's kubeconfig, context and namespace. */
    private hint(args: string): string {
        const kubeconfig = hintKubeconfig(this.e.kubeconfig);
        const flags = [...kubeconfig.flags, ...clusterFlags(this.e)].map(shellWord).join(" ");
        return `${kubeconfig.prefix}kubectl ${flags} ${args}`;
    }

    /** `get ... -o json`, parsed; or what kubectl said. */
    private async getJson(args: string[]): Promise<{ json?: unknown; said: string }> {
        const result = await this.kubectl(["get", ...args, "-o", "json"]);
        if (result.status !== 0) return { said: result.stderr.trim() || `kubectl exited with ${result.status}` };
        try {
            return { json: JSON.parse(result.stdout), said: "" };
        } catch (err) {
            return { said: `kubectl's output is not JSON (${(err as Error).message})` };
        }
    }

    private deployment(s: ServiceDescription): Promise<{ json?: unknown; said: string }> {
        return this.getJson(["deployment", s.deployment ?? ""]);
    }

    private pods(selector: string): Promise<{ json?: unknown; said: string }> {
        return this.getJson(["pods", "--selector", selector]);
    }

    async state(s: ServiceDescription): Promise<ServiceState | undefined> {
        const deployment = await this.deployment(s);
        if (deployment.json === undefined) return undefined;
        const pods = await this.pods(podSelector(deployment.json));
        if (pods.json === undefined) return undefined;
        return deploymentState(pods.json, s.containerName, this.seen.get(s.name));
    }

    async running(s: ServiceDescription): Promise<boolean> {
        return (await this.state(s))?.running ?? false;
    }

    async showLogs(s: ServiceDescription): Promise<void> {
        log(`last lines of Deployment ${s.deployment ?? ""}'s pods (container ${s.containerName}):`);
        const deployment = await this.deployment(s);
        const pods = deployment.json === undefined ? undefined : (await this.pods(podSelector(deployment.json))).json;
        const found = pods === undefined ? [] : podsForLogs(pods, s.containerName);
        if (found.length === 0) log(`no pod of Deployment ${s.deployment ?? ""} is left to show the logs of`);
        for (const p of found) {
            if (p.restarts > 0) {
                log(`pod ${p.pod} on node ${p.node}, before its last restart:`);
                await this.logs(p.pod, s.containerName, ["--previous"]);
            }
            await this.logs(p.pod, s.containerName, []);
        }
    }

    /** A pod's last lines, each prefixed by the pod ("[pod/NAME/CONTAINER] ..."), and what kubectl said. */
    private async logs(pod: string, container: string, more: string[]): Promise<void> {
        const result = await this.kubectl(["logs", pod, "-c", container, ...more, "--tail", "40", "--prefix"]);
        process.stderr.write(result.stdout + result.stderr);
    }

    /**
     * Scales the Deployment to 0 (each pod gets SIGTERM and its grace, then its sidecars end) and waits until every
     * process of its pods has exited, within their grace and a margin. Ended, not gone: once the shipper's last round
     * ended, the pod's data is at the collector, and the kubelet's teardown of its sandbox and volumes and the API's
     * removal of the pod (most of a second) need not be waited for.
     */
    async stop(s: ServiceDescription): Promise<StopResult> {
        const name = s.deployment ?? "";
        // The scale answers with the Deployment itself: its pods' selector and grace, without a `get` first.
        const scaled = await this.kubectl(["scale", `deployment/${name}`, "--replicas=0", "-o", "json"]);
        if (scaled.status !== 0)
            return { stopped: false, why: `could not scale Deployment ${name} to 0: ${scaled.stderr.trim()}` };
        let deployment: unknown;
        try {
            deployment = JSON.parse(scaled.stdout);
        } catch (err) {
            return { stopped: false, why: `kubectl scale's output is not JSON (${(err as Error).message})` };
        }
        const selector = podSelector(deployment);
        const bound = Math.max(s.stopGraceSeconds, podGraceSeconds(deployment)) + STOP_MARGIN_SECONDS;
        const deadline = nowMs() + bound * 1000;
        for (;;) {
            const pods = await this.pods(selector);
            const left = pods.json === undefined ? undefined : podsNotEnded(pods.json);
            if (left !== undefined && left.length === 0) return { stopped: true };
            if (nowMs() >= deadline || left === undefined)
                return { stopped: false, why: this.stillThere(name, bound, left ?? [], pods.said) };
            await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
        }
    }

    private stillThere(name: string, bound: number, left: PodPlace[], said: string): string {
        if (left.length === 0) return `could not list the pods of Deployment ${name}: ${said}`;
        const pods = left.map((p) => `${p.pod} (node ${p.node})`).join(", ");
        return (
            `Deployment ${name} was scaled to 0 but its pods still ran processes after ${bound} s (their grace and ` +
            `${STOP_MARGIN_SECONDS} s more): ${pods}. See why with ${this.hint(`describe pod ${left[0].pod}`)} ` +
            `and ${this.hint(`logs ${left[0].pod} --all-containers`)}`
        );
    }

    /** The source comes from the image on this machine, not from the pods. */
    readonly copiesBesideStop = true;

    /** The files of the app's image, from this machine's Docker engine: the same image the pods run. */
    async copySource(s: ServiceDescription, target: string): Promise<CopyResult> {
        const source = (s.sourcePath ?? "").replace(/\/+$/, "");
        const name = s.deployment ?? "";
        const deployment = await this.deployment(s);
        if (deployment.json === undefined)
            return { failure: `could not read Deployment ${name} to find its image: ${deployment.said}` };
        const image = containerImage(deployment.json, s.containerName);
        if (image === undefined)
            return {
                failure:
                    `Deployment ${name} has no container ${s.containerName}: set the service's containerName to ` +
                    "its app container's name",
            };
        const inspected = await docker(["image", "inspect", "--format", "{{.Id}}", image]);
        if (inspected.status !== 0)
            return {
                failure:
                    `the measured source of service ${s.name} (${s.sourcePath ?? ""}) is copied from its image ` +
                    `${image}, which this machine's Docker engine does not have: pull it (docker pull ${image}) ` +
                    "or build it here before the run",
            };
        return copyFromImage(image, source, target);
    }

    probe(s: ServiceDescription): Promise<ProbeResult> {
        return this.readiness(s);
    }

    /** The Deployment's readiness as Kubernetes sees it (its pods' readinessProbe); records its pods when ready. */
    private async readiness(s: ServiceDescription): Promise<ProbeResult> {
        const deployment = await this.deployment(s);
        if (deployment.json === undefined) return { ready: false, last: deployment.said };
        const { ready, last } = deploymentReadiness(deployment.json);
        if (!ready) return { ready, last };
        const pods = await this.pods(podSelector(deployment.json));
        if (pods.json === undefined) return { ready: false, last: pods.said };
        this.seen.set(s.name, runningPods(pods.json));
        // Ready pods are not yet a route from this machine: the nodes' proxies program a new Service's NodePort a
        // moment later, and until then the suite's first requests are refused.
        return s.url === undefined ? { ready, last } : reachableFromHere(s.url);
    }

    probeInterval(): number {
        return PROBE_INTERVAL_MS;
    }

    probeDescription(s: ServiceDescription): string {
        return `probe: Deployment ${s.deployment ?? ""}'s pods ready (their readinessProbe), then its URL reachable`;
    }

    readinessFix(s: ServiceDescription): string {
        return (
            `see why its pods are not ready with ${this.hint(`describe deployment ${s.deployment ?? ""}`)} and ` +
            "`describe pods`; fix their readinessProbe, or give a longer readinessTimeoutSeconds"
        );
    }
}

/** Whether the service's URL (http://HOST:PORT, its NodePort on a node) takes a connection from this machine. */
function reachableFromHere(url: string): Promise<ProbeResult> {
    const { hostname, port } = new URL(url);
    return tcpReachable(hostname.replace(/^\[(.*)\]$/, "$1"), Number(port || 80));
}

/** Copies `source` out of `image` through a container made and never started, removed after. */
async function copyFromImage(image: string, source: string, target: string): Promise<CopyResult> {
    const created = await docker(["create", "--entrypoint", NEVER_RUN, image]);
    if (created.status !== 0) return { said: created.stderr };
    const container = created.stdout.trim();
    try {
        const copied = await docker(["cp", `${container}:${source}/.`, target]);
        return copied.status === 0 ? {} : { said: copied.stderr };
    } finally {
        await docker(["rm", container]);
    }
}

export function kubectlEngine(e: KubectlEngineDescription, searchPath: string | undefined = process.env.PATH): Engine {
    return new KubectlEngine(e, searchPath);
}
