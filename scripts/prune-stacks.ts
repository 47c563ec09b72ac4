// Removes the coverage stacks whose git branch is gone: dry run by default.
//
//   node bin/scripts/prune-stacks.js [--yes] [--keep main,master,dev] [--repo DIR]
//
// A stack is live when a local or remote-tracking branch of the repo maps to it (stackNameForBranch) or it is
// kept. --yes destroys each stale stack's resources and removes it from the backend.
import { spawnSync } from "child_process";
import { projectRoot } from "../components/programConfig";
import { DEFAULT_KEEP, branchesFromRefs, staleStacks } from "../components/stacks/pruneSelection";
import { coverageStackProgram } from "../components/stackProgram";
import { coverageWorkspace, openCoverageStack, removeCoverageStack } from "../components/stacks/engineWorkspace";

const log = (line: string) => process.stderr.write(`[coverage-spy] ${line}\n`);

function git(repo: string, args: string[]): string {
    const r = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed in ${repo}: ${r.stderr.trim()}`);
    return r.stdout;
}

async function main(): Promise<void> {
    const argv = process.argv.slice(2);
    let yes = false;
    let keep = DEFAULT_KEEP;
    const root = projectRoot(__dirname);
    let repo = root;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--yes") yes = true;
        else if (argv[i] === "--keep")
            keep = argv[++i]
                .split(",")
                .map((s) => s.trim())
                .filter((s) => s !== "");
        else if (argv[i] === "--repo") repo = argv[++i];
        else throw new Error(`unknown option ${argv[i]} (usage: prune-stacks [--yes] [--keep a,b] [--repo DIR])`);
    }
    if (!process.env.PULUMI_BACKEND_URL)
        throw new Error("source scripts/pulumi-env.sh first (PULUMI_BACKEND_URL is unset)");
    const branches = branchesFromRefs(
        git(repo, ["for-each-ref", "--format=%(refname)", "refs/heads", "refs/remotes"]),
        git(repo, ["remote"])
            .split("\n")
            .filter((r) => r !== ""),
    );
    const stacks = (await (await coverageWorkspace(root)).listStacks()).map((s) => s.name);
    const stale = staleStacks(stacks, branches, keep);
    log(`${stacks.length} stack(s), ${branches.length} branch(es), kept: ${keep.join(", ") || "(none)"}`);
    if (stale.length === 0) {
        log("no stale stack");
        return;
    }
    for (const name of stale) {
        if (!yes) {
            process.stdout.write(`would remove ${name}\n`);
            continue;
        }
        const stack = await openCoverageStack(root, name, () => Promise.resolve(coverageStackProgram(root)));
        await stack.destroy({ onOutput: (line) => process.stderr.write(line) });
        await removeCoverageStack(root, stack);
        process.stdout.write(`removed ${name}\n`);
    }
    if (!yes) log(`dry run: nothing removed; run again with --yes to remove ${stale.length} stack(s)`);
}

main().catch((err: Error) => {
    process.stderr.write(`[coverage-spy] ${err.message}\n`);
    process.exit(1);
});
