import { execFileSync } from "child_process";
import * as path from "path";
import { ChangedFile, DiffHunk, parseGitDiff, parseGitDiffHunks } from "./gitDiffParse";
import { MAIN_BRANCH } from "../options/patchOptions";

/** What a checkout changed since its base: the diff's start and the changed lines per file. */
export interface CheckoutChanges {
    /** The git repository's top folder, as git prints it (symbolic links resolved). */
    root: string;
    /** The base as given. */
    ref: string;
    /** The merge-base of HEAD with `ref`: where the branch left it. */
    commit: string;
    files: ChangedFile[];
}

/** Runs git with arguments, never through a shell; throws with git's own message (unless its status is in `ok`). */
function git(cwd: string, args: string[], ok: number[] = [0]): string {
    try {
        return execFileSync("git", args, {
            cwd,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 256 * 1024 * 1024,
        });
    } catch (err) {
        const e = err as { status?: number | null; stdout?: string; stderr?: string; message: string };
        if (typeof e.status === "number" && ok.includes(e.status) && typeof e.stdout === "string") return e.stdout;
        throw new Error((e.stderr ?? "").trim() || e.message);
    }
}

/** The top folder of the git checkout holding `dir`, or undefined when there is none (or no git). */
export function checkoutRoot(dir: string): string | undefined {
    try {
        return git(dir, ["rev-parse", "--show-toplevel"]).trim() || undefined;
    } catch {
        return undefined;
    }
}

/**
 * The default patch base of the checkout holding `dir`: the remote's default branch (origin/HEAD, as `git clone`
 * sets it), else MAIN_BRANCH (also when `dir` is in no checkout).
 */
export function defaultPatchBase(dir: string): string {
    try {
        return git(dir, ["rev-parse", "--abbrev-ref", "--verify", "--quiet", "origin/HEAD"]).trim() || MAIN_BRANCH;
    } catch {
        return MAIN_BRANCH;
    }
}

/** Config that keeps the user's git settings from changing a diff's shape: relative paths, unquoted names. */
const UNIFORM_DIFF_CONFIG = ["-c", "diff.relative=false", "-c", "core.quotePath=true"];
/** Options of a diff the parser reads: no colour, no external tools or textconv, no context, fixed prefixes. */
const UNIFORM_DIFF = ["--no-color", "--no-ext-diff", "--no-textconv", "-U0", "--src-prefix=a/", "--dst-prefix=b/"];

/**
 * The lines the checkout (working tree, with its uncommitted changes to tracked files) adds or changes since the
 * merge-base of HEAD with `base`, as a pull request's diff:
 * renames followed, deleted lines, binary files and mode changes left out. The user's git config cannot change the
 * output's shape: prefixes, colour, external diff tools, textconv, relative paths and submodules are all set here.
 */
export function checkoutChanges(root: string, ref: string): CheckoutChanges {
    // Read as an option by git otherwise; validation refuses such a patchBase, this keeps the call safe alone.
    if (ref.startsWith("-")) throw new Error(`the patch base ${JSON.stringify(ref)} starts with "-": name a git ref`);
    let commit: string;
    try {
        commit = git(root, ["merge-base", "HEAD", `${ref}^{commit}`]).trim();
    } catch (err) {
        throw new Error(
            `the patch base ${JSON.stringify(ref)} has no merge-base with HEAD in ${root} (${(err as Error).message}): ` +
                "fetch it, or name another with patchBase (--patch-base)",
        );
    }
    const diff = git(root, [
        ...UNIFORM_DIFF_CONFIG,
        "diff",
        ...UNIFORM_DIFF,
        "--ignore-submodules=all",
        "-M",
        commit,
        "--",
    ]);
    return { root, ref, commit, files: parseGitDiff(diff, "b/") };
}

/**
 * How file `to` differs from file `from` (any two files, in a checkout or not), as `-U0` hunks; none when equal.
 * `git diff --no-index` exits 1 when they differ.
 */
export function fileHunks(from: string, to: string): DiffHunk[] {
    const diff = git(
        path.dirname(to),
        [...UNIFORM_DIFF_CONFIG, "diff", "--no-index", ...UNIFORM_DIFF, "--", from, to],
        [0, 1],
    );
    return [...parseGitDiffHunks(diff, "b/").values()].flat();
}
