import { Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import { DockerCommandError, docker } from "../../components/engine/dockerCli";
import { LABEL_PROJECT, LABEL_STACK } from "../../components/shared/naming";
import { describeLock, isStale, readStackLocks, removeStaleLocks, stackLockDir } from "./stackLocks";
import { interruptTestRun } from "./interruptTestRun";
import { describeEngineProcesses, endProcesses, orphanedEngineProcesses } from "./engineProcesses";
import { ClusterDeployment, deleteRecordedCreates, recordPendingClusterCreates } from "./clusterCreates";
import { testRunsEnded } from "./clusterTestRuns";
import { fileBackendCheckpoint } from "../project/stackOpening";

/** Docker object kinds coverage-spy creates, with the provider's resource type of each. */
const KINDS = [
    { kind: "container", type: "docker:index/container:Container" },
    { kind: "volume", type: "docker:index/volume:Volume" },
    { kind: "network", type: "docker:index/network:Network" },
] as const;
type Kind = (typeof KINDS)[number]["kind"];

/** Seconds an orphaned service gets to save its data before it is removed (its run is over anyway). */
const ORPHAN_STOP_SECONDS = 10;

/**
 * A Docker object: its kind, name, id (the id the docker provider keeps in the state; a volume's is its name) and
 * stack.
 */
export interface DockerObject {
    kind: Kind;
    name: string;
    id: string;
    stack: string;
}

/** The Docker objects of one kind that carry the project's label, and the stack's when one is named. */
export function labelledObjects(kind: Kind, project: string, stack?: string): DockerObject[] {
    const list =
        kind === "container"
            ? ["ps", "-a", "--no-trunc"]
            : kind === "network"
              ? ["network", "ls", "--no-trunc"]
              : ["volume", "ls"];
    const format = `${kind === "volume" ? "{{.Name}}" : "{{.ID}}"} ${kind === "container" ? "{{.Names}}" : "{{.Name}}"} {{.Label "${LABEL_STACK}"}}`;
    const filters = [
        "--filter",
        `label=${LABEL_PROJECT}=${project}`,
        "--filter",
        stack === undefined ? `label=${LABEL_STACK}` : `label=${LABEL_STACK}=${stack}`,
    ];
    let out: string;
    try {
        out = docker([...list, ...filters, "--format", format]).stdout.trim();
    } catch (err) {
        throw new Error(`coverage-spy: cannot list the project's Docker ${kind}s: ${(err as Error).message}`);
    }
    return out === ""
        ? []
        : out.split("\n").map((line) => {
              const [id, name, objectStack] = line.split(" ");
              return { kind, name, id, stack: objectStack };
          });
}

/**
 * Removes Docker objects by name, containers first (stopped gracefully, so a process still running saves its
 * data), then networks and volumes. Returns "kind name" of each removed one; throws naming those it could not remove.
 */
export function removeObjects(objects: Array<Pick<DockerObject, "kind" | "name">>): string[] {
    const order: Kind[] = ["container", "network", "volume"];
    const removed: string[] = [];
    const failed: string[] = [];
    for (const kind of order) {
        for (const { name } of objects.filter((o) => o.kind === kind)) {
            const problem = removeObject(kind, name);
            if (problem === undefined) removed.push(`${kind} ${name}`);
            else failed.push(`${kind} ${name}: ${problem}`);
        }
    }
    if (failed.length > 0) throw new Error(`coverage-spy: could not remove ${failed.join("; ")}`);
    return removed;
}

/**
 * Removes one object, a container after a graceful stop (whose failure the forced removal makes up for); what went
 * wrong, or undefined when it is gone.
 */
function removeObject(kind: Kind, name: string): string | undefined {
    try {
        if (kind === "container")
            docker(["stop", "--time", String(ORPHAN_STOP_SECONDS), name], { waits: ORPHAN_STOP_SECONDS });
    } catch (err) {
        if (!(err instanceof DockerCommandError)) throw err;
    }
    try {
        docker(kind === "container" ? ["rm", "-f", name] : [kind, "rm", name]);
        return undefined;
    } catch (err) {
        if (!(err instanceof DockerCommandError)) throw err;
        return err.message;
    }
}

/** Every object carrying the stack's labels, of every kind. */
export function allLabelledObjects(project: string, stack: string): DockerObject[] {
    return KINDS.flatMap(({ kind }) => labelledObjects(kind, project, stack));
}

/** A resource in a stack's state, as far as recovery reads and edits it. */
interface StateResource {
    urn: string;
    type: string;
    id?: string;
    /** Deleted by a delete-before-replace whose create has not happened (the engine's own flag). */
    pendingReplacement?: boolean;
    /** Replaced, and still to be deleted (a create-before-delete whose delete has not happened). */
    delete?: boolean;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    deletedWith?: string;
}

/** The part of a stack's state recovery reads. */
interface Deployment {
    resources?: StateResource[];
    pending_operations?: Array<{ type: string; resource: { urn: string } }>;
}

/** The Docker object a state resource records ("container <id>"), or undefined for other resources. */
function objectKey(resource: StateResource): string | undefined {
    const kind = KINDS.find((k) => k.type === resource.type)?.kind;
    return kind && resource.id ? `${kind} ${resource.id}` : undefined;
}

/**
 * Removes resources from an exported deployment, each by its URN and the object it records (a URN can appear
 * twice: the live resource and the half-replaced one), and every reference to a URN no resource has any more, so
 * the engine accepts it back. For objects that no longer exist: nothing is left to delete.
 */
function dropResources(deployment: Deployment, doomed: StateResource[]): void {
    const isDoomed = (r: StateResource) =>
        doomed.some((d) => d.urn === r.urn && objectKey(d) === objectKey(r) && !!d.delete === !!r.delete);
    deployment.resources = (deployment.resources ?? []).filter((r) => !isDoomed(r));
    const remaining = new Set(deployment.resources.map((r) => r.urn));
    const urns = new Set(doomed.map((d) => d.urn).filter((urn) => !remaining.has(urn)));
    for (const r of deployment.resources) {
        if (r.dependencies) r.dependencies = r.dependencies.filter((d) => !urns.has(d));
        for (const [key, deps] of Object.entries(r.propertyDependencies ?? {}))
            r.propertyDependencies![key] = deps.filter((d) => !urns.has(d));
        if (r.deletedWith && urns.has(r.deletedWith)) delete r.deletedWith;
    }
}

/**
 * A file backend's latest deployment of the stack, read straight from its checkpoint: the same as
 * `pulumi stack export` without starting the CLI (a few hundred milliseconds on every run). Undefined when the
 * backend is not a plain file one, or the stack has no (plain JSON) checkpoint yet.
 */
function readFileBackendDeployment(backendUrl: string, project: string, stack: string): Deployment | undefined {
    const file = fileBackendCheckpoint(backendUrl, project, stack);
    if (file === undefined) return undefined;
    try {
        return (
            (JSON.parse(fs.readFileSync(file, "utf8")) as { checkpoint?: { latest?: Deployment } }).checkpoint
                ?.latest ?? {}
        );
    } catch {
        return undefined;
    }
}

/** Whether the stack's state holds Docker objects (it made the ones carrying its labels). */
export async function ownsDockerObjects(stack: Stack): Promise<boolean> {
    // The automation API types the exported deployment as `any`: only the resources' types are read.
    const deployment = (await stack.exportStack()).deployment as { resources?: Array<{ type: string }> } | undefined;
    const resources = deployment?.resources ?? [];
    return resources.some((r) => KINDS.some((k) => k.type === r.type));
}

/** Whether a live process (of this host, or another) holds a lock on the stack in a file backend. */
function liveLockHeld(backendUrl: string, project: string, stack: string): boolean {
    return readStackLocks(stackLockDir(backendUrl, project, stack)).some((lock) => !isStale(lock));
}

/**
 * What a killed run left behind, cleared before the next one, so no run needs a manual step:
 * - locks whose process is gone from this host;
 * - the engine's pending operations (creates it started and never recorded), and on a Kubernetes cluster the
 *   objects of those creates, which the provider deletes (clusterCreates.ts);
 * - Docker objects with the stack's labels that the state does not know (a create the kill interrupted), which
 *   would otherwise clash by name with the next create, or keep serving on their port;
 * - objects the state knows that the engine lost, which the provider could not delete: the state is refreshed.
 * `opening`: the stack, which the engine's CLI may still be opening: only a state to change waits for it.
 * Returns one line per thing cleared, for the user.
 */
export async function recoverStack(
    stackName: string,
    opening: Promise<Stack>,
    project: string,
    backendUrl: string,
): Promise<string[]> {
    const cleared: string[] = [];
    // A killed driver's engine goes on without it: its CLI may sleep on a cancelled update holding the stack's lock,
    // and its plugins never exit. Only this stack's, and only those whose driver is gone.
    const leftEngine = orphanedEngineProcesses(stackName);
    if (leftEngine.length > 0) {
        const { stuck } = endProcesses(leftEngine.map((p) => p.pid));
        cleared.push(`${describeEngineProcesses(leftEngine)} left running by a killed run: ended`);
        if (stuck.length > 0)
            throw new Error(
                `coverage-spy: could not end the engine process(es) ${stuck.join(", ")} a killed run of stack ` +
                    `${stackName} left; end them (kill -9 ${stuck.join(" ")}) and run again`,
            );
    }
    if (backendUrl.startsWith("file://")) {
        // An update in flight owns its pending operations and half-made objects: leave everything to it (the
        // engine then refuses this run, naming the holder).
        if (liveLockHeld(backendUrl, project, stackName)) return cleared;
        for (const lock of removeStaleLocks(stackLockDir(backendUrl, project, stackName)))
            cleared.push(`stale lock: ${describeLock(lock)} (its process is gone)`);
    }
    // A test run whose driver was killed goes on by itself: its suite, and services waiting for their stop.
    const left = interruptTestRun(stackName);
    if (left.processes.length > 0)
        cleared.push(`a test run left running: stopped its ${left.processes.length} process(es)`);
    for (const service of left.services) cleared.push(`service ${service} left running: stopped gracefully`);
    // A run on a cluster scales its services to 0 as it ends: once this run's pods are up, it would stop them.
    const stillRunning = await testRunsEnded(left.clusterRunners);
    if (stillRunning.length > 0)
        throw new Error(
            `coverage-spy: the test run (pid ${stillRunning.join(", ")}) an earlier run of stack ${stackName} left ` +
                `running did not end after it was asked to stop; end it (kill ${stillRunning.join(" ")}) and run again`,
        );
    if (left.notStopped)
        throw new Error(
            `coverage-spy: could not stop ${left.notStopped.services.join(", ")}, left running by an earlier run ` +
                `(${left.notStopped.cause}); stop them (docker stop ${left.notStopped.services.join(" ")}) and run again`,
        );
    let deployment: Deployment;
    try {
        deployment = (readFileBackendDeployment(backendUrl, project, stackName) ??
            (await (await opening).exportStack()).deployment ??
            {}) as Deployment;
    } catch (err) {
        // Read while another update wrote it: that update owns the stack now, and the engine refuses this run
        // naming it.
        if (/failed to load checkpoint/.test((err as Error).message) && liveLockHeld(backendUrl, project, stackName))
            return cleared;
        throw err;
    }
    const pending = deployment.pending_operations ?? [];
    if (pending.length > 0) {
        const state = await (await opening).exportStack();
        deployment = state.deployment as Deployment;
        for (const op of pending)
            cleared.push(`pending ${op.type} of ${op.resource.urn.split("::").pop()} (an interrupted update)`);
        // A cluster's objects are recorded first, for the provider to delete: the engine's import drops pending
        // operations. The interrupted creates' Docker objects are removed below.
        const onCluster = recordPendingClusterCreates(state.deployment as ClusterDeployment);
        await (await opening).importStack(state);
        cleared.push(...(await deleteRecordedCreates(await opening, onCluster)));
    }
    // By id, not name: a replacement the kill interrupted has the same name as the container the state records.
    const known = new Set((deployment.resources ?? []).flatMap((r) => objectKey(r) ?? []));
    // Only a stack that has made Docker objects owns the ones with its labels: the same stack name in another
    // backend (a fresh one, say) must not take a deployed stack's objects for its orphans.
    if (known.size === 0 && pending.length === 0) return cleared;
    const existing = allLabelledObjects(project, stackName);
    const orphans = existing.filter((o) => !known.has(`${o.kind} ${o.id}`));
    for (const removed of removeObjects(orphans))
        cleared.push(`${removed}, not in the stack's state (left by an interrupted run)`);
    // Objects the state records but the engine lost (an engine reset, a hand-made `docker rm`): the provider would
    // fail to delete them ("No such container"), so the state learns first what is really there.
    const present = new Set(existing.map((o) => `${o.kind} ${o.id}`));
    // A replacement that failed half-way leaves an object in the state that is deleted or still to delete:
    // marked pendingReplacement (a refresh skips it: https://github.com/pulumi/pulumi/issues/24561) or delete (a
    // refresh finds the container by its name, the new one, and the update then deletes that one twice: "No such
    // container"). One the engine no longer has is taken out of the state: nothing is left to delete.
    const halfReplaced = (deployment.resources ?? []).filter((r) => {
        const key = objectKey(r);
        return (r.pendingReplacement === true || r.delete === true) && key !== undefined && !present.has(key);
    });
    if (halfReplaced.length > 0) {
        const state = await (await opening).exportStack();
        dropResources(state.deployment as Deployment, halfReplaced);
        await (await opening).importStack(state);
        for (const r of halfReplaced)
            cleared.push(
                `${objectKey(r)!.split(" ")[0]} ${r.urn.split("::").pop()} (${r.id!.slice(0, 12)}), left in the state ` +
                    `by a replacement that failed half-way (${r.pendingReplacement ? "pendingReplacement" : "pending delete"}) ` +
                    "and gone from the engine: taken out of the state",
            );
    }
    const lost = [...known].filter(
        (object) => !present.has(object) && !halfReplaced.some((r) => objectKey(r) === object),
    );
    if (lost.length > 0) {
        await (await opening).refresh({ suppressOutputs: true });
        cleared.push(`${lost.length} object(s) in the state that the engine no longer has: the state was refreshed`);
    }
    return cleared;
}
