// What the kubectl engine reads in kubectl's JSON (`get deployment -o json`, `get pods -o json`): the Deployment's
// pod selector, image, grace and readiness, and whether any process of its pods ended. Pure functions of the JSON.
import { ServiceState } from "./engine";

type Json = Record<string, unknown>;

function object(value: unknown): Json {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): Json[] {
    return Array.isArray(value) ? value.map(object) : [];
}

function count(value: unknown, otherwise = 0): number {
    return typeof value === "number" && Number.isFinite(value) ? value : otherwise;
}

function text(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

/** The label selector of the Deployment's pods, in kubectl's -l form ("app=web,tier in (a,b)"). */
export function podSelector(deployment: unknown): string {
    const selector = object(object(deployment).spec).selector;
    const parts = Object.entries(object(object(selector).matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
    for (const e of list(object(selector).matchExpressions)) {
        const values = (Array.isArray(e.values) ? e.values : []).map(String).join(",");
        const key = String(e.key);
        if (e.operator === "In") parts.push(`${key} in (${values})`);
        else if (e.operator === "NotIn") parts.push(`${key} notin (${values})`);
        else if (e.operator === "Exists") parts.push(key);
        else if (e.operator === "DoesNotExist") parts.push(`!${key}`);
    }
    return parts.join(",");
}

function podSpec(deployment: unknown): Json {
    return object(object(object(object(deployment).spec).template).spec);
}

/** The image of the pods' container `container`, or undefined when the Deployment has no such container. */
export function containerImage(deployment: unknown, container: string): string | undefined {
    return text(list(podSpec(deployment).containers).find((c) => c.name === container)?.image);
}

/** The pods' terminationGracePeriodSeconds (Kubernetes' default: 30). */
export function podGraceSeconds(deployment: unknown): number {
    return count(podSpec(deployment).terminationGracePeriodSeconds, 30);
}

export interface DeploymentReadiness {
    ready: boolean;
    /** What was found, as a readiness failure names it ("1 of 2 pods ready"). */
    last: string;
}

/** Ready: every wanted pod is of the current revision and ready, and no pod of an older one is left. */
export function deploymentReadiness(deployment: unknown): DeploymentReadiness {
    const d = object(deployment);
    const status = object(d.status);
    const wanted = count(object(d.spec).replicas, 1);
    if (count(status.observedGeneration) < count(object(d.metadata).generation))
        return { ready: false, last: "Kubernetes has not acted on the Deployment's last change yet" };
    if (wanted === 0) return { ready: false, last: "the Deployment wants 0 pods (scaled to 0)" };
    const ready = count(status.readyReplicas);
    const updated = count(status.updatedReplicas);
    const older = Math.max(0, count(status.replicas) - updated);
    const last = `${ready} of ${wanted} pods ready` + (older > 0 ? `, ${older} of an older revision still there` : "");
    return { ready: ready >= wanted && updated >= wanted && older === 0, last };
}

/** A pod of the Deployment: its name and node. */
export interface PodPlace {
    pod: string;
    node: string;
}

/** The pods that run (not being deleted), by name. */
export function runningPods(pods: unknown): PodPlace[] {
    return list(object(pods).items)
        .filter((p) => object(p.metadata).deletionTimestamp === undefined && object(p.status).phase === "Running")
        .map(place)
        .sort((a, b) => a.pod.localeCompare(b.pod));
}

function place(p: Json): PodPlace {
    return { pod: String(object(p.metadata).name), node: text(object(p.spec).nodeName) ?? "no node yet" };
}

/** One ended process of a pod: a container that terminated or was restarted. */
interface Ended {
    container: string;
    exitCode: number;
    reason?: string;
    restarts: number;
}

/** The containers whose end ends the service: the app's and the sidecars' (init containers that stay: Always). */
function watchedStatuses(p: Json, app: string): Json[] {
    const status = object(p.status);
    const sidecars = new Set(
        list(object(p.spec).initContainers)
            .filter((c) => c.restartPolicy === "Always")
            .map((c) => c.name),
    );
    const main = list(status.containerStatuses);
    // The app's container first: its exit code is the one reported when several ended.
    main.sort((a, b) => Number(b.name === app) - Number(a.name === app));
    return [...main, ...list(status.initContainerStatuses).filter((c) => sidecars.has(c.name))];
}

function endedContainer(c: Json): Ended | undefined {
    const restarts = count(c.restartCount);
    const terminated = object(object(c.state).terminated);
    const before = object(object(c.lastState).terminated);
    const end = Object.keys(terminated).length > 0 ? terminated : restarts > 0 ? before : undefined;
    if (end === undefined) return undefined;
    return { container: String(c.name), exitCode: count(end.exitCode, -1), reason: text(end.reason), restarts };
}

/** The first ended process of the pod, or undefined while all of them run. */
function podEnd(p: Json, app: string): Ended | undefined {
    for (const c of watchedStatuses(p, app)) {
        const ended = endedContainer(c);
        if (ended !== undefined) return ended;
    }
    const status = object(p.status);
    if (status.phase === "Failed")
        return { container: app, exitCode: -1, reason: text(status.reason) ?? "Failed", restarts: 0 };
    return undefined;
}

function endedWhere(pod: PodPlace, e: Ended): string {
    const restarted = e.restarts > 0 ? `, restarted ${e.restarts} time(s) by Kubernetes` : "";
    const reason = e.reason !== undefined && e.reason !== "OOMKilled" ? `, reason ${e.reason}` : "";
    return `in pod ${pod.pod} on node ${pod.node} (container ${e.container}${reason}${restarted})`;
}

function more(n: number, what: string): string {
    return n > 0 ? `; and ${n} more ${what}` : "";
}

/**
 * The Deployment's state from its pods (`get pods -o json` of its selector): not running once a process of a pod
 * ended (terminated, or restarted by Kubernetes) or a pod seen before is gone (deleted, evicted, its node lost),
 * naming the pod and its node. `seen` are the pods seen running before (at readiness). A pod being deleted is
 * stopped on purpose (a rollout, a drain: its processes get their grace), and no pod yet is a Deployment starting.
 */
export function deploymentState(pods: unknown, app: string, seen: PodPlace[] = []): ServiceState {
    const items = list(object(pods).items).sort((a, b) =>
        String(object(a.metadata).name).localeCompare(String(object(b.metadata).name)),
    );
    const ends = items.flatMap((p) => {
        const e = object(p.metadata).deletionTimestamp === undefined ? podEnd(p, app) : undefined;
        return e === undefined ? [] : [{ pod: place(p), end: e }];
    });
    const present = new Set(items.map((p) => String(object(p.metadata).name)));
    const gone = seen.filter((s) => !present.has(s.pod));
    if (ends.length > 0) {
        const { pod, end } = ends[0];
        return {
            running: false,
            exitCode: end.exitCode,
            oomKilled: end.reason === "OOMKilled",
            where: endedWhere(pod, end) + more(ends.length - 1 + gone.length, "pod(s)"),
        };
    }
    if (gone.length > 0)
        return {
            running: false,
            exitCode: -1,
            oomKilled: false,
            where:
                `pod ${gone[0].pod} on node ${gone[0].node} is gone (deleted, evicted or its node lost; ` +
                `its processes had no graceful stop)${more(gone.length - 1, "pod(s) gone")}`,
        };
    return { running: true, exitCode: 0, oomKilled: false };
}

/** Whether every process of the pod has exited: a terminal phase, and no container (a sidecar either) still running. */
function podEnded(p: Json): boolean {
    const status = object(p.status);
    const statuses = [...list(status.containerStatuses), ...list(status.initContainerStatuses)];
    return (
        (status.phase === "Succeeded" || status.phase === "Failed") &&
        statuses.every((c) => object(c.state).running === undefined)
    );
}

/** The pods (`get pods -o json`) in which a process still runs, by name, with their nodes. */
export function podsNotEnded(pods: unknown): PodPlace[] {
    return list(object(pods).items)
        .filter((p) => !podEnded(p))
        .map(place)
        .sort((a, b) => a.pod.localeCompare(b.pod));
}

/** Each pod's name, node and app container's restart count, for its logs. */
export function podsForLogs(pods: unknown, app: string): (PodPlace & { restarts: number })[] {
    return list(object(pods).items)
        .map((p) => ({
            ...place(p),
            restarts: count(list(object(p.status).containerStatuses).find((c) => c.name === app)?.restartCount),
        }))
        .sort((a, b) => a.pod.localeCompare(b.pod));
}
