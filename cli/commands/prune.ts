// prune: removes the stacks whose git branch is gone (dry run by default).
import { spawnSync } from "child_process";
import { DEFAULT_KEEP, branchesFromRefs, staleStacks } from "../project/pruneSelection";
import { resolveProject } from "../project/commandTarget";
import { packageRoot } from "../project/projectFolder";
import { afterDestroy, openTargetStack, targetWorkspace } from "../project/stackWorkspace";
import { parseCommandArgs } from "./commandArgs";
import { log } from "./target";

const USAGE = "usage: coverage-spy prune [--yes] [--keep main,master,dev] [--repo DIR] [--cwd DIR]";

function git(repo: string, args: string[]): string {
    const r = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed in ${repo}: ${r.stderr.trim()}`);
    return r.stdout;
}

/** Local and remote-tracking branches of a git checkout. */
function branchesOf(repo: string): string[] {
    return branchesFromRefs(
        git(repo, ["for-each-ref", "--format=%(refname)", "refs/heads", "refs/remotes"]),
        git(repo, ["remote"])
            .split("\n")
            .filter((r) => r !== ""),
    );
}

/**
 * A stack is live when a local or remote-tracking branch of the repo (--repo, default the project folder) maps to
 * it (stackNameForBranch) or it is kept. --yes destroys each stale stack's resources and removes it.
 */
export async function runPrune(argv: string[]): Promise<void> {
    const args = parseCommandArgs(argv, { values: ["--cwd", "--keep", "--repo"], flags: ["--yes"] }, USAGE);
    const keep =
        args.values
            .get("--keep")
            ?.split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "") ?? DEFAULT_KEEP;
    const where = resolveProject({ cwd: args.values.get("--cwd") }, process.cwd(), packageRoot(__dirname), process.env);
    const branches = branchesOf(args.values.get("--repo") ?? where.project.dir);
    const stacks = (await (await targetWorkspace(where)).listStacks()).map((s) => s.name);
    const stale = staleStacks(stacks, branches, keep);
    log(`${stacks.length} stack(s), ${branches.length} branch(es), kept: ${keep.join(", ") || "(none)"}`);
    if (stale.length === 0) {
        log("no stale stack");
        return;
    }
    for (const name of stale) {
        if (!args.flags.has("--yes")) {
            process.stdout.write(`would remove ${name}\n`);
            continue;
        }
        const target = { ...where, stack: name, stackName: name, stackReason: "prune" };
        const stack = await openTargetStack(target, { create: false });
        await stack.destroy({ onOutput: (line) => process.stderr.write(line) });
        if (target.demo) await afterDestroy(target, stack);
        else await stack.workspace.removeStack(name, { preserveConfig: true });
        process.stdout.write(`removed ${name}\n`);
    }
    if (!args.flags.has("--yes"))
        log(`dry run: nothing removed; run again with --yes to remove ${stale.length} stack(s)`);
}
