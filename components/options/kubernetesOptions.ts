// The `kubernetes` option group: the cluster the services run on, for programs that declare no kubernetes provider.
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { KubernetesOptions } from "./args";

/** A DNS label (RFC 1123), unanchored. */
const DNS_LABEL_PART = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
/** A Kubernetes namespace name: a DNS label. */
const DNS_LABEL = new RegExp(`^${DNS_LABEL_PART}$`);
const DNS_LABEL_MAX = 63;
/** The rule a namespace follows, as messages say it. */
export const DNS_LABEL_RULE =
    'a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';

/** Whether a name is a DNS label, as a namespace must be. */
export function isDnsLabel(name: string): boolean {
    return name.length <= DNS_LABEL_MAX && DNS_LABEL.test(name);
}

/**
 * Whether `kubernetes.kubeconfig` holds the kubeconfig's text rather than a file's path: a path has no line break
 * and does not start like a JSON document.
 */
export function isKubeconfigText(value: string): boolean {
    return /[\r\n]/.test(value) || value.trimStart().startsWith("{");
}

/** The kubeconfig's contexts by name, or why the text is no kubeconfig. */
function kubeconfigContexts(text: string): { contexts: string[] } | { problem: string } {
    let parsed: unknown;
    try {
        parsed = parseYaml(text);
    } catch (err) {
        return { problem: `it is not YAML (${(err as Error).message.split("\n")[0]})` };
    }
    const config = parsed as { clusters?: unknown; contexts?: unknown } | null;
    if (typeof config !== "object" || config === null || !Array.isArray(config.clusters))
        return { problem: "it has no list of clusters" };
    const contexts = Array.isArray(config.contexts) ? (config.contexts as Array<{ name?: unknown }>) : [];
    return { contexts: contexts.map((c) => c?.name).filter((n): n is string => typeof n === "string") };
}

/** The text of the kubeconfig the option names (its own, or its file's), or why there is none to read. */
function kubeconfigText(value: string): { text: string } | { problem: string } {
    if (isKubeconfigText(value)) return { text: value };
    if (!path.isAbsolute(value))
        return {
            problem:
                `kubernetes.kubeconfig must be an absolute path (in stack config also one relative to the project ` +
                `folder) or a kubeconfig's text, got ${JSON.stringify(value)}`,
        };
    try {
        return { text: fs.readFileSync(value, "utf8") };
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        return {
            problem:
                `kubernetes.kubeconfig ${value} cannot be read (${code}): give the path of a kubeconfig file ` +
                `(kubectl config view --raw > FILE writes one), or the kubeconfig's text`,
        };
    }
}

/** The problems of the kubeconfig option, and the contexts its kubeconfig has (when it could be read). */
function kubeconfigProblems(value: unknown): { problems: string[]; contexts?: string[] } {
    if (value === undefined || typeof value !== "string") return { problems: [] };
    if (value.trim() === "")
        return {
            problems: ["kubernetes.kubeconfig must not be empty: leave it out for kubectl's own (KUBECONFIG)"],
        };
    const read = kubeconfigText(value);
    if ("problem" in read) return { problems: [read.problem] };
    const found = kubeconfigContexts(read.text);
    if ("problem" in found) {
        const what = isKubeconfigText(value) ? "text" : `file ${value}`;
        return { problems: [`kubernetes.kubeconfig: the ${what} is no kubeconfig: ${found.problem}`] };
    }
    return { problems: [], contexts: found.contexts };
}

/** The problems of the context option, checked against the kubeconfig's contexts when they are known. */
function contextProblems(value: unknown, contexts: string[] | undefined): string[] {
    if (value === undefined || typeof value !== "string") return [];
    if (value.trim() === "")
        return ["kubernetes.context must not be empty: leave it out for the kubeconfig's current context"];
    if (/[\r\n]/.test(value)) return [`kubernetes.context ${JSON.stringify(value)} must not contain a line break`];
    if (contexts !== undefined && !contexts.includes(value))
        return [
            `kubernetes.context ${JSON.stringify(value)} is not a context of kubernetes.kubeconfig ` +
                `(its contexts: ${contexts.length > 0 ? contexts.join(", ") : "none"}): name one of them`,
        ];
    return [];
}

/**
 * Namespaces the cluster itself keeps: the stack creates its namespace and deletes it with everything in it on
 * `destroy`, so it must never be one of these (https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces).
 */
const CLUSTER_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

/** What is wrong with the namespace option: not a DNS label, or one of the cluster's own namespaces. */
function namespaceProblemsOf(namespace: unknown): string[] {
    if (typeof namespace !== "string") return [];
    if (!isDnsLabel(namespace))
        return [
            `kubernetes.namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name: ${DNS_LABEL_RULE}`,
        ];
    if (CLUSTER_NAMESPACES.has(namespace))
        return [
            `kubernetes.namespace "${namespace}" is one of the cluster's own namespaces, and the stack creates its ` +
                "namespace and deletes it, with everything in it, on destroy: name a namespace of the stack's own, " +
                "or leave it out for coverage-spy-<project>-<stack>",
        ];
    return [];
}

/**
 * A Kubernetes quantity of bytes as a claim's request takes it: a whole or decimal number and a binary or decimal
 * suffix (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/); exponents are left out.
 */
const STORAGE_QUANTITY = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
/** Less than this holds hardly one run's data and reports. */
const MIN_CLAIM_SIZE = "64Mi";
const QUANTITY_FACTORS: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** The bytes a storage quantity names; undefined when it is none. */
function quantityBytes(quantity: string): number | undefined {
    const m = STORAGE_QUANTITY.exec(quantity);
    return m === null ? undefined : Number(m[1]) * QUANTITY_FACTORS[m[3] ?? ""];
}

function dataClaimSizeProblems(size: unknown): string[] {
    if (typeof size !== "string") return [];
    const bytes = quantityBytes(size);
    if (bytes === undefined)
        return [
            `kubernetes.dataClaimSize ${JSON.stringify(size)} is not a Kubernetes quantity: give a number and a ` +
                'unit, e.g. "1Gi" or "500Mi"',
        ];
    if (bytes < (quantityBytes(MIN_CLAIM_SIZE) as number))
        return [
            `kubernetes.dataClaimSize ${JSON.stringify(size)} is too small to hold a run's data: give at least ` +
                JSON.stringify(MIN_CLAIM_SIZE),
        ];
    return [];
}

/** A StorageClass's name: a DNS subdomain (RFC 1123), DNS labels joined by ".". */
const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL_PART}(\\.${DNS_LABEL_PART})*$`);

function storageClassProblems(name: unknown): string[] {
    if (typeof name !== "string") return [];
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
        return [
            `kubernetes.storageClass ${JSON.stringify(name)} is not a StorageClass name (lower-case letters, digits, ` +
                '"-" and ".", at most 253 characters): `kubectl get storageclass` lists the cluster\'s',
        ];
    return [];
}

/**
 * What is wrong with the group's values, each problem naming its option: a namespace that is no DNS label, an
 * empty context or one the kubeconfig lacks, a kubeconfig that is neither a readable file nor a kubeconfig's text,
 * a claim size that is no quantity or too small, a StorageClass name that is none.
 * The group's shape and unknown keys are checked with the other options.
 */
export function kubernetesOptionProblems(options: KubernetesOptions): string[] {
    const namespaceProblems = namespaceProblemsOf(options.namespace);
    const kubeconfig = kubeconfigProblems(options.kubeconfig);
    return [
        ...kubeconfig.problems,
        ...contextProblems(options.context, kubeconfig.contexts),
        ...namespaceProblems,
        ...dataClaimSizeProblems(options.dataClaimSize),
        ...storageClassProblems(options.storageClass),
    ];
}
