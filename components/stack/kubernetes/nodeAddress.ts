import { execFileSync } from "child_process";
import type { KubernetesTarget } from "../planRun";

/** kubectl's flags reaching the target's cluster: its context when one was given (its kubeconfig: KUBECONFIG). */
export function kubectlFlags(target: Pick<KubernetesTarget, "context">): string[] {
    return target.context !== undefined ? ["--context", target.context] : [];
}

/** A node as `kubectl get nodes -o json` gives it: the parts the component reads. */
export interface NodeJson {
    metadata?: { name?: string };
    spec?: { taints?: Array<{ effect?: string }>; unschedulable?: boolean; providerID?: string };
    status?: {
        addresses?: Array<{ type?: string; address?: string }>;
        /** The images the node's runtime holds, each under every name it has (normalised: docker.io/library/x:tag). */
        images?: Array<{ names?: string[] }>;
    };
}

/** Taints that keep the services' pods (which tolerate none) off a node. */
const KEEPS_PODS_OFF = new Set(["NoSchedule", "NoExecute"]);

/** A node the services' pods can be scheduled on: not cordoned, and no taint they would need to tolerate. */
export function acceptsPods(node: NodeJson): boolean {
    if (node.spec?.unschedulable === true) return false;
    return !(node.spec?.taints ?? []).some((t) => t.effect !== undefined && KEEPS_PODS_OFF.has(t.effect));
}

/**
 * The address this machine reaches a NodePort on: a node's InternalIP (every node forwards a NodePort), a node that
 * runs pods (untainted) first. On a kind cluster that is the node container's address on Docker's network.
 */
export function nodeAddressOf(nodes: NodeJson[]): string | undefined {
    const ordered = [...nodes.filter(acceptsPods), ...nodes.filter((n) => !acceptsPods(n))];
    for (const node of ordered) {
        const internal = node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
        if (internal) return internal;
    }
    return undefined;
}

/** The nodes of the target's cluster, asked with kubectl once per program run; throws naming the fix. */
export function clusterNodes(target: Pick<KubernetesTarget, "kubeconfig" | "context">): NodeJson[] {
    const args = [...kubectlFlags(target), "get", "nodes", "-o", "json"];
    let text: string;
    try {
        // The kubeconfig as KUBECONFIG: it may name several files, which --kubeconfig does not take.
        const env = { ...process.env, ...(target.kubeconfig !== undefined ? { KUBECONFIG: target.kubeconfig } : {}) };
        text = execFileSync("kubectl", args, {
            encoding: "utf8",
            env,
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 30_000,
        });
    } catch (err) {
        const said = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
        throw new Error(
            `coverage-spy: could not list the cluster's nodes (kubectl ${args.join(" ")}): ${said}. The test run reaches ` +
                "the services on a node's address: install kubectl, and set KUBECONFIG to the cluster the kubernetes " +
                "provider uses",
        );
    }
    return (JSON.parse(text) as { items?: NodeJson[] }).items ?? [];
}

/** The address of a node of the cluster; throws naming the fix when there is none. */
export function clusterNodeAddress(nodes: NodeJson[]): string {
    const address = nodeAddressOf(nodes);
    if (address === undefined)
        throw new Error(
            "coverage-spy: no node of the cluster has an InternalIP, which the test run reaches the services' " +
                "NodePorts on: check `kubectl get nodes -o wide`",
        );
    return address;
}
