// A killed update's creates on a Kubernetes cluster: the objects are there, the state never heard of them, and the
// next create of the same name fails (the provider's server-side apply conflicts with the killed create's field
// manager). They are recorded in the state and deleted through the provider, which knows the cluster.
import { Stack } from "@pulumi/pulumi/automation";

/** The Kubernetes provider's resource types: `kubernetes:<group>/<version>:<Kind>`. */
const KUBERNETES_TYPE = /^kubernetes:[^:]+:[^:]+$/;

/** What a Kubernetes object's inputs name it by. */
interface ObjectInputs {
    kind?: string;
    metadata?: { name?: string; namespace?: string };
}

/** A resource in a stack's state, as far as this step reads and writes it. */
export interface ClusterStateResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: ObjectInputs;
    outputs?: ObjectInputs;
    delete?: boolean;
}

/** The part of an exported deployment this step reads and edits. */
export interface ClusterDeployment {
    resources?: ClusterStateResource[];
    pending_operations?: Array<{ type: string; resource: ClusterStateResource }>;
}

/** A created object recorded in the state: its URN and how a person names it ("Deployment ns/app"). */
export interface RecordedCreate {
    urn: string;
    object: string;
}

/**
 * The provider's id of an object from its inputs: "namespace/name", or "name" for a cluster-wide one (a
 * Namespace); undefined when the inputs name none (generated names: nothing to find it by).
 */
export function kubernetesObjectId(inputs: ObjectInputs | undefined): string | undefined {
    const name = inputs?.metadata?.name;
    if (typeof name !== "string" || name === "") return undefined;
    const namespace = inputs?.metadata?.namespace;
    return typeof namespace === "string" && namespace !== "" ? `${namespace}/${name}` : name;
}

/**
 * Records in the deployment, as created, each Kubernetes object whose create is pending (begun by an update that
 * was killed): with the id the provider gives it and its inputs as its outputs (the provider's delete reads its kind
 * and namespace there), so a destroy of its URN deletes it. One whose URN the state already holds is left alone (a
 * replacement's: the state's record stands for it). Returns what was recorded.
 */
export function recordPendingClusterCreates(deployment: ClusterDeployment): RecordedCreate[] {
    const resources = (deployment.resources ??= []);
    const recorded: RecordedCreate[] = [];
    for (const { type, resource } of deployment.pending_operations ?? []) {
        const id = kubernetesObjectId(resource.inputs);
        if (type !== "creating" || !KUBERNETES_TYPE.test(resource.type) || id === undefined) continue;
        if (resources.some((r) => r.urn === resource.urn)) continue;
        resources.push({ ...resource, id, outputs: { ...resource.inputs, ...resource.outputs } });
        recorded.push({ urn: resource.urn, object: `${resource.inputs?.kind ?? resource.type} ${id}` });
    }
    return recorded;
}

/**
 * Deletes the recorded objects through the provider (a destroy of their URNs only: nothing depends on them, their
 * dependents were never created). Returns one line per object; throws naming them when the destroy fails.
 */
export async function deleteRecordedCreates(stack: Stack, recorded: RecordedCreate[]): Promise<string[]> {
    if (recorded.length === 0) return [];
    try {
        await stack.destroy({ target: recorded.map((r) => r.urn), suppressOutputs: true });
    } catch (err) {
        throw new Error(
            `coverage-spy: could not delete ${recorded.map((r) => r.object).join(", ")}, created on the cluster by ` +
                `an interrupted update: ${(err as Error).message}`,
        );
    }
    return recorded.map((r) => `${r.object}, created on the cluster by an interrupted update: deleted`);
}
