/**
 * The environment variable through which the command's `--patch-base` reaches the program (its own process for the
 * bundled demo, the language host's for a user's program): stack config is the user's file, never written for a run.
 */
export const PATCH_BASE_ENV = "COVERAGE_SPY_PATCH_BASE";

/** The patch base of a checkout without a remote default branch. */
export const MAIN_BRANCH = "main";

/** A git revision as `git merge-base` takes it: printable, no whitespace, not read as an option. */
const GIT_REVISION = /^[^\s\p{Cc}-][^\s\p{Cc}]*$/u;

/** What is wrong with a patchBase value, or undefined. `where` names it: "patchBase" or "--patch-base". */
export function patchBaseProblem(where: string, value: unknown): string | undefined {
    if (typeof value === "string" && GIT_REVISION.test(value)) return undefined;
    return (
        `${where} ${JSON.stringify(value)} must be a git ref or commit ("main", "origin/main", a tag, a commit id), ` +
        'without spaces and not starting with "-"'
    );
}
