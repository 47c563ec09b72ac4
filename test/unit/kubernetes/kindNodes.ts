// Nodes as `kubectl get nodes -o json` gives them: the project's kind cluster (1 control plane, 2 workers), trimmed.
import * as fs from "fs";
import * as path from "path";
import type { NodeJson } from "../../../components/stack/kubernetes/nodeAddress";

/** A fresh copy of the real cluster's nodes (each test may change its own). */
export function kindNodes(): NodeJson[] {
    const text = fs.readFileSync(path.join(__dirname, "fixtures", "kind-nodes.json"), "utf8");
    return (JSON.parse(text) as { items: NodeJson[] }).items;
}

/** The node named so, of the given nodes. */
export function nodeNamed(nodes: NodeJson[], name: string): NodeJson {
    const node = nodes.find((n) => n.metadata?.name === name);
    if (node === undefined) throw new Error(`no node ${name} in the fixture`);
    return node;
}

/** One untainted node at the address, holding the images under the names given (as a node lists them). */
export function nodeHolding(address: string, imageNames: string[]): NodeJson {
    return {
        metadata: { name: "node-1" },
        spec: {},
        status: { addresses: [{ type: "InternalIP", address }], images: imageNames.map((n) => ({ names: [n] })) },
    };
}
