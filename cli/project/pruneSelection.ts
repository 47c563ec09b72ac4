import { stackNameForBranch } from "./stackName";

export const DEFAULT_KEEP = ["main", "master", "dev"];

/**
 * The stacks a prune removes: those whose branch no longer exists. A stack is live when some branch maps to it
 * (stackNameForBranch), or when it is in the keep list.
 */
export function staleStacks(stacks: string[], branches: string[], keep: string[] = DEFAULT_KEEP): string[] {
    const live = new Set([...branches.map(stackNameForBranch), ...keep]);
    return stacks.filter((s) => !live.has(s)).sort();
}

/**
 * Branch names from `git for-each-ref --format=%(refname)` output: local and remote-tracking, remote prefix dropped.
 */
export function branchesFromRefs(refs: string, remotes: string[]): string[] {
    const names = new Set<string>();
    for (const ref of refs
        .split("\n")
        .map((r) => r.trim())
        .filter((r) => r !== "")) {
        if (ref.startsWith("refs/heads/")) names.add(ref.slice("refs/heads/".length));
        else if (ref.startsWith("refs/remotes/")) {
            const rest = ref.slice("refs/remotes/".length);
            const remote = remotes.find((r) => rest.startsWith(`${r}/`));
            const branch = remote ? rest.slice(remote.length + 1) : rest;
            if (branch !== "HEAD") names.add(branch);
        }
    }
    return [...names].sort();
}
