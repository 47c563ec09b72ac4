import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../../cli/commands/commandArgs";
import { runUpdate } from "../../cli/commands/update";
import { evaluateGates } from "../../components/gates/evaluateGates";
import { resolveArgs } from "../../components/options/resolveArgs";
import { validateStackArgs } from "../../components/options/validation";
import { CoverageSummary, FileCoverage, PatchCoverage } from "../../components/summary/coverageSummary";
import { formatSummary } from "../../components/summary/formatSummary";
import { markdownSummary } from "../../components/summary/markdownSummary";
import { patchCoverage } from "../../components/summary/patchCoverage";
import { readPatchCoverage } from "../../components/summary/readPatchCoverage";
import { readRunSummary } from "../../components/summary/readRunSummary";
import { summarizeRun } from "../../components/gates/gatedSummary";
import { FIXTURE_RUN_ID, FIXTURE_SERVICES, git, reportDirWithFixtureRun, tempDir, writeFiles } from "./fixtures";

const numbered = (n: number, prefix = "x") =>
    Array.from({ length: n }, (_, i) => `${prefix}${i + 1} = ${i}\n`).join("");

/** A measured file of service "api" whose source is `hostSource` (as the summary builds it). */
function measured(hostSource: string, rel: string, executed: number[], missing: number[]): FileCoverage {
    const statements = executed.length + missing.length;
    return {
        service: "api",
        path: rel,
        containerPath: `/app/${rel}`,
        hostPath: path.join(hostSource, rel),
        statements,
        covered: executed.length,
        missing: missing.length,
        excluded: 0,
        percent: statements === 0 ? 100 : (executed.length / statements) * 100,
        executedLines: executed,
        missingLines: missing,
    };
}

/**
 * A checkout whose service source is svc/app, on branch feature since main: mod.py lines 2, 3, 7 changed and 11
 * added; pkg/new.py new; old.py renamed to renamed.py with line 4 edited; a test and a doc changed; line 9 of
 * mod.py deleted. The service's hostSourcePath reaches the source through a symbolic link.
 */
function branchCheckout(): { root: string; hostSource: string } {
    const root = tempDir();
    git(root, "init", "-q", "-b", "main");
    writeFiles(root, {
        "svc/app/mod.py": numbered(10),
        "svc/app/old.py": numbered(20, "old"),
        "tests/test_mod.py": "def test(): pass\n",
        "README.md": "# readme\n",
    });
    git(root, "add", "-A");
    git(root, "commit", "-q", "-m", "base");
    git(root, "checkout", "-q", "-b", "feature");
    const mod = numbered(10).split("\n");
    mod[1] = "x2 = 'two'";
    mod[2] = "x3 = 'three'";
    mod[6] = "x7 = 'seven'";
    mod.splice(8, 1); // x9 deleted: old line 10 is now line 9
    mod.splice(9, 0, "# a comment", "x11 = 11"); // new lines 10 and 11
    writeFiles(root, {
        "svc/app/mod.py": mod.join("\n"),
        "svc/app/pkg/new.py": "import os\n\ndef f():\n    return os.sep\n",
        "tests/test_mod.py": "def test(): assert True\n",
        "README.md": "# readme\nmore\n",
    });
    git(root, "mv", "svc/app/old.py", "svc/app/renamed.py");
    writeFiles(root, { "svc/app/renamed.py": numbered(20, "old").replace("old4 = 3", "old4 = 'four'") });
    git(root, "add", "-A");
    git(root, "commit", "-q", "-m", "change");
    const link = path.join(tempDir(), "source-link");
    fs.symlinkSync(path.join(root, "svc", "app"), link);
    return { root: fs.realpathSync(root), hostSource: link };
}

describe("patch coverage of a checkout (real git)", () => {
    it("maps changed lines to measured files through hostPath and splits them into executed and missing", () => {
        const { hostSource } = branchCheckout();
        const files = [
            measured(hostSource, "mod.py", [1, 2, 4, 5, 6, 8], [3, 7, 9, 11]),
            measured(hostSource, "pkg/new.py", [1, 3], [4]),
            measured(hostSource, "renamed.py", [1, 2, 3, 4], []),
            measured(hostSource, "untouched.py", [1], [2]),
        ];
        const patch = readPatchCoverage({
            files,
            services: [{ name: "api", hostSourcePath: hostSource }, { name: "db-worker" }],
            base: "main",
        });
        expect(patch.unavailable).toBeUndefined();
        expect(patch.base?.ref).toBe("main");
        expect(patch.files).toEqual([
            {
                service: "api",
                path: "mod.py",
                gitPath: "svc/app/mod.py",
                changedLines: [2, 3, 7, 10, 11],
                executableLines: [2, 3, 7, 11],
                executedLines: [2],
                missingLines: [3, 7, 11],
                percent: 25,
            },
            {
                service: "api",
                path: "pkg/new.py",
                gitPath: "svc/app/pkg/new.py",
                changedLines: [1, 2, 3, 4],
                executableLines: [1, 3, 4],
                executedLines: [1, 3],
                missingLines: [4],
                percent: (2 / 3) * 100,
            },
            {
                service: "api",
                path: "renamed.py",
                gitPath: "svc/app/renamed.py",
                changedLines: [4],
                executableLines: [4],
                executedLines: [4],
                missingLines: [],
                percent: 100,
            },
        ]);
        expect(patch.totals).toEqual({ changed: 10, executable: 8, executed: 4, missing: 4, percent: 50 });
        expect(patch.unmeasured).toEqual([
            { gitPath: "README.md", changedLines: [2] },
            { gitPath: "tests/test_mod.py", changedLines: [1] },
        ]);
        expect(patch.notes).toEqual([
            "no patch coverage for db-worker: it names no hostSourcePath (the service's source in this checkout)",
        ]);
    });

    it("says once which services it cannot see, and why a patch is unavailable", () => {
        const { hostSource } = branchCheckout();
        const elsewhere = tempDir();
        const outside = readPatchCoverage({
            files: [],
            services: [
                { name: "api", hostSourcePath: hostSource },
                { name: "b", hostSourcePath: elsewhere },
                { name: "c" },
                { name: "d" },
            ],
            base: "main",
        });
        expect(outside.notes).toEqual([
            "no patch coverage for c, d: they name no hostSourcePath (the service's source in this checkout)",
            expect.stringMatching(/^no patch coverage for b: hostSourcePath outside the checkout /) as unknown,
        ]);
        expect(readPatchCoverage({ files: [], services: [{ name: "c" }], base: "main" })).toEqual(
            expect.objectContaining({
                unavailable: "no measured service names hostSourcePath, the folder of its source in a git checkout",
                totals: { changed: 0, executable: 0, executed: 0, missing: 0 },
            }),
        );
        expect(
            readPatchCoverage({ files: [], services: [{ name: "b", hostSourcePath: elsewhere }], base: "main" })
                .unavailable,
        ).toBe(`hostSourcePath ${elsewhere} is in no git checkout`);
        expect(
            readPatchCoverage({ files: [], services: [{ name: "api", hostSourcePath: hostSource }], base: "gone" })
                .unavailable,
        ).toMatch(/^the patch base "gone" has no merge-base with HEAD/);
    });

    it("reads the changes made since the base, uncommitted ones included", () => {
        const { root, hostSource } = branchCheckout();
        fs.appendFileSync(path.join(root, "svc/app/renamed.py"), "old21 = 20\n");
        const patch = readPatchCoverage({
            files: [measured(hostSource, "renamed.py", [4], [21])],
            services: [{ name: "api", hostSourcePath: hostSource }],
            base: "main",
        });
        expect(patch.files.map((f) => [f.path, f.changedLines, f.missingLines])).toEqual([
            ["renamed.py", [4, 21], [21]],
        ]);
    });
});

describe("patchCoverage", () => {
    const base = { ref: "main", commit: "0123456789abcdef0123456789abcdef01234567" };

    it("gives 100% when no changed line is executable (as diff-cover), and no percent for such a file", () => {
        const file = measured("/src", "a.py", [1], [2]);
        const patch = patchCoverage([{ path: "a.py", lines: [5, 6] }], new Map([["a.py", file]]), base, []);
        expect(patch.totals).toEqual({ changed: 2, executable: 0, executed: 0, missing: 0, percent: 100 });
        expect("percent" in patch.files[0]).toBe(false);
    });
});

/** The fixture run's summary with a patch of 2 of 4 changed statements in shop's cart.py. */
function summaryWithPatch(): CoverageSummary {
    const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
    const summary = readRunSummary({ runDir, runId: FIXTURE_RUN_ID, services: FIXTURE_SERVICES });
    const file = measured("/src", "shop/cart.py", [10, 11], [12, 20]);
    const patch: PatchCoverage = patchCoverage(
        [
            { path: "app/shop/cart.py", lines: [9, 10, 11, 12, 20] },
            { path: "tests/test_cart.py", lines: [3] },
        ],
        new Map([["app/shop/cart.py", { ...file, service: "shop" }]]),
        { ref: "origin/main", commit: "0123456789abcdef0123456789abcdef01234567" },
        ["no patch coverage for worker: it names no hostSourcePath (the service's source in this checkout)"],
    );
    return { ...summary, patch };
}

describe("the summaries on a branch", () => {
    it("lead with the patch figure, then the missing changed lines by file", () => {
        const lines = formatSummary(summaryWithPatch()).split("\n");
        expect(lines.slice(0, 4)).toEqual([
            "PATCH  50.00% of 4 changed statements executed since origin/main (0123456789ab), 2 missing",
            "  missing  shop:shop/cart.py  12, 20",
            "  not measured  tests/test_cart.py",
            "  note  no patch coverage for worker: it names no hostSourcePath (the service's source in this checkout)",
        ]);
        const md = markdownSummary(summaryWithPatch()).split("\n");
        expect(md[0]).toBe(
            "## Patch coverage 50.00% of 4 changed statements executed since origin/main (0123456789ab), 2 missing",
        );
        expect(md).toContain("| `shop/shop/cart.py` | 12, 20 | 50.00% |");
        expect(md).toContain("Changed, not measured: `tests/test_cart.py`");
        expect(md.find((l) => l.startsWith("## Coverage"))).toBe("## Coverage 80.00%");
    });

    it("say nothing of a patch without changes", () => {
        const summary = summaryWithPatch();
        const empty = { ...summary, patch: patchCoverage([], new Map(), summary.patch!.base!, []) };
        expect(formatSummary(empty).split("\n")[0]).toMatch(/^coverage-spy run /);
        expect(markdownSummary(empty).split("\n")[0]).toBe("## Coverage 80.00%");
    });
});

describe("the failUnderPatch gate", () => {
    it("fails under its percent, passes at it, and notes a patch it cannot read", () => {
        const summary = summaryWithPatch();
        expect(evaluateGates(summary, { failUnderPatch: 60 })).toEqual({
            passed: false,
            failures: [
                "patch coverage 50.00% (2 of 4 changed statements since origin/main) is under failUnderPatch 60%",
            ],
            notes: [],
        });
        expect(evaluateGates(summary, { failUnderPatch: 50 }).passed).toBe(true);
        const unavailable = {
            ...summary,
            patch: {
                ...summary.patch!,
                unavailable: "no git",
                totals: { ...summary.patch!.totals, percent: undefined },
            },
        };
        expect(evaluateGates(unavailable, { failUnderPatch: 50 })).toEqual({
            passed: true,
            failures: [],
            notes: ["failUnderPatch not evaluated: no git"],
        });
        expect(evaluateGates({ ...summary, patch: undefined }, { failUnderPatch: 50 }).notes).toEqual([
            "failUnderPatch not evaluated: no patch coverage",
        ]);
    });
});

describe("the patch options", () => {
    const context = (patchBaseFromCommand?: string) => ({
        stack: "dev",
        projectDir: "/work/project",
        defaultDockerHost: undefined,
        defaultAssetsDir: () => "/lib/coverage-spy",
        newRunId: () => "run-fresh",
        defaultPatchBase: () => "origin/trunk",
        ...(patchBaseFromCommand !== undefined ? { patchBaseFromCommand } : {}),
    });
    const args = { services: [{ name: "api", image: "api:1", sourcePath: "/app" }], testCommand: "true" };

    it("take the command's base over the option, and the option over the default", () => {
        expect(resolveArgs(args, context()).patchBase).toBe("origin/trunk");
        expect(resolveArgs({ ...args, patchBase: "release" }, context()).patchBase).toBe("release");
        expect(resolveArgs({ ...args, patchBase: "release" }, context("v2.0")).patchBase).toBe("v2.0");
        const { defaultPatchBase: _unused, ...withoutDefault } = context();
        expect(resolveArgs(args, withoutDefault).patchBase).toBe("main");
    });

    it("refuse a base git would read as an option, and a gate out of range, at preview", () => {
        const resolved = resolveArgs({ ...args, patchBase: "--output=x", failUnderPatch: 120 }, context());
        expect(() => validateStackArgs(resolved)).toThrow(/patchBase "--output=x" must be a git ref or commit/);
        expect(() => validateStackArgs(resolved)).toThrow(/failUnderPatch must be a number from 0 to 100, got 120/);
    });
});

describe("the gated summary", () => {
    it("writes the patch into summary.json and summary.md before a gate can fail", () => {
        const { hostSource } = branchCheckout();
        const runDir = path.join(reportDirWithFixtureRun(), "runs", FIXTURE_RUN_ID);
        const services = [{ ...FIXTURE_SERVICES[0], hostSourcePath: hostSource }, FIXTURE_SERVICES[1]];
        const summary = summarizeRun(
            { runDir, runId: FIXTURE_RUN_ID, services, patch: { base: "main" } },
            { gates: { failUnderPatch: 100 } },
        );
        const written = JSON.parse(fs.readFileSync(summary.reports.summary, "utf8")) as CoverageSummary;
        expect(written.patch).toEqual(summary.patch);
        expect(written.patch?.base?.ref).toBe("main");
        expect(written.patch?.notes).toEqual([
            "no patch coverage for worker: it names no hostSourcePath (the service's source in this checkout)",
        ]);
        // The fixture's files are not in this checkout: every change is listed apart, and no statement changed.
        expect(written.patch?.unmeasured.map((u) => u.gitPath)).toContain("svc/app/mod.py");
        expect(written.gate).toEqual(expect.objectContaining({ failUnderPatch: 100, passed: true }));
        expect(fs.readFileSync(summary.reports.markdown, "utf8").split("\n")[0]).toMatch(
            /^## Patch coverage 100\.00% of 0/,
        );
    });
});

describe("the command's --patch-base", () => {
    it("is refused, with the usage, on destroy and with a value git would read as an option", async () => {
        const destroy = runUpdate("destroy", ["--patch-base", "main"]);
        await expect(destroy).rejects.toBeInstanceOf(UsageError);
        await expect(destroy).rejects.toThrow(/^--patch-base goes with up and preview; usage: /);
        await expect(runUpdate("up", ["--patch-base", "-x"])).rejects.toBeInstanceOf(UsageError);
        await expect(runUpdate("preview", ["--patch-base", "a b"])).rejects.toThrow(
            /^--patch-base "a b" must be a git ref or commit .*; usage: coverage-spy up\|preview\|destroy .*\[--patch-base REF\]/,
        );
    });
});
