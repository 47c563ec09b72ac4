import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { STACK_NAME, chooseStack, stackNameForBranch } from "../../cli/project/stackName";
import { branchesFromRefs, staleStacks } from "../../cli/project/pruneSelection";
import { tempDir } from "./fixtures";

describe("stackNameForBranch", () => {
    it("keeps a branch that is already a valid stack name", () => {
        for (const b of ["main", "feat-a", "feat_a", "release-1.2", "A".repeat(100)])
            expect(stackNameForBranch(b)).toBe(b);
    });

    it("sanitises anything else into a valid, deterministic, hash-suffixed name", () => {
        expect(stackNameForBranch("feat/login")).toMatch(/^feat-login-[0-9a-f]{8}$/);
        expect(stackNameForBranch("feat/login")).toBe(stackNameForBranch("feat/login"));
        expect(stackNameForBranch("feature/Ünïcödé branch")).toMatch(/^feature-Unicode-branch-[0-9a-f]{8}$/);
        expect(stackNameForBranch("/..//")).toMatch(/^branch-[0-9a-f]{8}$/);
        expect(stackNameForBranch("日本語")).toMatch(/^branch-[0-9a-f]{8}$/);
        const long = stackNameForBranch(`team/${"x".repeat(300)}`);
        expect(long.length).toBeLessThanOrEqual(100);
        expect(long).toMatch(/^team-x+-[0-9a-f]{8}$/);
        for (const b of ["a b", "x/y/z", "tab\tname", "emoji-🚀", `${"y".repeat(101)}`])
            expect(stackNameForBranch(b)).toMatch(STACK_NAME);
    });

    it("never gives two branches one stack, even when they sanitise alike", () => {
        const names = ["feat/a", "feat-a", "feat_a", "feat a", "feat//a", "feat/a/"].map(stackNameForBranch);
        expect(new Set(names).size).toBe(names.length);
        const longA = stackNameForBranch(`${"z".repeat(120)}/a`);
        const longB = stackNameForBranch(`${"z".repeat(120)}/b`);
        expect(longA).not.toBe(longB);
    });
});

describe("chooseStack", () => {
    function repoOn(branch: string | null): string {
        const dir = tempDir();
        const git = (...args: string[]) => spawnSync("git", args, { cwd: dir, encoding: "utf8" });
        git("init", "-q", "-b", "main");
        git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x");
        if (branch) git("checkout", "-q", "-b", branch);
        else git("checkout", "-q", "--detach");
        return dir;
    }

    it("takes --stack, then $COVERAGE_SPY_STACK, then the CI's branch, then git's", () => {
        const repo = repoOn("feat/x");
        expect(chooseStack("given", { COVERAGE_SPY_STACK: "env" }, repo)).toEqual({
            stack: "given",
            reason: "--stack",
        });
        expect(chooseStack(undefined, { COVERAGE_SPY_STACK: "env", GITHUB_HEAD_REF: "pr" }, repo)).toEqual({
            stack: "env",
            reason: "$COVERAGE_SPY_STACK",
        });
        expect(chooseStack(undefined, { GITHUB_HEAD_REF: "pr/1", GITHUB_REF_NAME: "x" }, repo)).toEqual({
            stack: stackNameForBranch("pr/1"),
            reason: "branch pr/1 (from $GITHUB_HEAD_REF)",
        });
        expect(chooseStack(undefined, {}, repo)).toEqual({
            stack: stackNameForBranch("feat/x"),
            reason: "git branch feat/x",
        });
    });

    it("explains a detached HEAD and a bad name", () => {
        expect(() => chooseStack(undefined, {}, repoOn(null))).toThrow(
            "detached HEAD, so there is no branch to name the stack after: pass --stack NAME or set COVERAGE_SPY_STACK",
        );
        expect(() => chooseStack("a/b", {}, repoOn("main2"))).toThrow('"a/b" (--stack) is not a valid stack name');
        const notRepo = tempDir();
        fs.writeFileSync(path.join(notRepo, "x"), "");
        expect(() => chooseStack(undefined, {}, notRepo)).toThrow(
            /no git branch here .*pass --stack NAME or set COVERAGE_SPY_STACK/,
        );
    });
});

describe("prune selection", () => {
    it("selects stacks whose branch is gone, never kept ones", () => {
        const branches = ["main", "feat/live", "fix-1"];
        const stacks = [
            "main",
            "dev",
            stackNameForBranch("feat/live"),
            "fix-1",
            stackNameForBranch("feat/gone"),
            "old-branch",
        ];
        expect(staleStacks(stacks, branches)).toEqual([stackNameForBranch("feat/gone"), "old-branch"].sort());
        expect(staleStacks(stacks, branches, ["old-branch"])).toEqual(["dev", stackNameForBranch("feat/gone")].sort());
    });

    it("reads local and remote-tracking branches, dropping the remote's name", () => {
        const refs = [
            "refs/heads/main",
            "refs/heads/feat/a",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/feat/b",
            "refs/remotes/up-stream/fix/c",
            "",
        ].join("\n");
        expect(branchesFromRefs(refs, ["origin", "up-stream"])).toEqual(["feat/a", "feat/b", "fix/c", "main"]);
    });
});
