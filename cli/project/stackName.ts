import { spawnSync } from "child_process";
import * as crypto from "crypto";

/** Pulumi's rule for stack names (the part after organization/project). */
export const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const MAX_LENGTH = 100;
const HASH_LENGTH = 8;

/**
 * The stack of a git branch. A branch that is already a valid stack name is its own stack; any other is
 * sanitised (runs of other characters become "-", at most 100 characters) and gets 8 hex digits of its
 * name's SHA-256, so two branches that sanitise alike ("feat/a", "feat a") never share a stack.
 */
export function stackNameForBranch(branch: string): string {
    if (branch === "") throw new Error("coverage-spy: an empty branch name has no stack");
    if (STACK_NAME.test(branch)) return branch;
    const hash = crypto.createHash("sha256").update(branch, "utf8").digest("hex").slice(0, HASH_LENGTH);
    const readable = branch
        .normalize("NFKD")
        .replace(/[\u0300-\u036f]/g, "")
        .replace(/[^A-Za-z0-9_.-]+/g, "-")
        .replace(/^[-.]+|[-.]+$/g, "")
        .slice(0, MAX_LENGTH - HASH_LENGTH - 1)
        .replace(/[-.]+$/, "");
    return readable === "" ? `branch-${hash}` : `${readable}-${hash}`;
}

export interface StackChoice {
    stack: string;
    /** Why this stack: shown to the user. */
    reason: string;
}

/** CI systems name the branch of a job in these variables, checked in this order (a PR's head branch first). */
export const CI_BRANCH_VARIABLES = ["GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "BRANCH_NAME"];

/**
 * Which stack a command works on: an explicit name, else $COVERAGE_SPY_STACK, else the branch (from a CI
 * variable, else `git rev-parse --abbrev-ref HEAD` in `cwd`) through stackNameForBranch.
 */
export function chooseStack(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): StackChoice {
    const named = (stack: string, reason: string): StackChoice => {
        if (!STACK_NAME.test(stack))
            throw new Error(
                `coverage-spy: "${stack}" (${reason}) is not a valid stack name: letters, digits, "-", "_", "." and at most 100 characters`,
            );
        return { stack, reason };
    };
    if (explicit !== undefined) return named(explicit, "--stack");
    if (env.COVERAGE_SPY_STACK) return named(env.COVERAGE_SPY_STACK, "$COVERAGE_SPY_STACK");
    for (const variable of CI_BRANCH_VARIABLES) {
        const branch = env[variable];
        if (branch) return { stack: stackNameForBranch(branch), reason: `branch ${branch} (from $${variable})` };
    }
    const git = spawnSync("git", ["rev-parse", "--abbrev-ref", "HEAD"], { cwd, encoding: "utf8" });
    const branch = git.status === 0 ? git.stdout.trim() : "";
    if (branch === "" || branch === "HEAD") {
        throw new Error(
            git.status === 0
                ? "coverage-spy: the git checkout is on a detached HEAD, so there is no branch to name the stack after: pass --stack NAME or set COVERAGE_SPY_STACK"
                : `coverage-spy: no git branch here (${git.stderr.trim() || "git failed"}): pass --stack NAME or set COVERAGE_SPY_STACK`,
        );
    }
    return { stack: stackNameForBranch(branch), reason: `git branch ${branch}` };
}
