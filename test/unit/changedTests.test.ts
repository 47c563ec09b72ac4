import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../../cli/commands/commandArgs";
import { runWho } from "../../cli/commands/who";
import { ChangedTests, lineInRun } from "../../cli/contexts/changedTests";
import { formatChangedTests } from "../../cli/contexts/formatChangedTests";
import { readChangedTests } from "../../cli/contexts/readChangedTests";
import { git, tempDir, writeFiles } from "./fixtures";

const RUN = "20261206T050000Z-abc123";
const TEST_A = "tests/test_shop.py::test_a";
const TEST_B = "tests/test_shop.py::test_b[2 items]";

/** Ten numbered lines, with `changes` (line → text) in place. */
const source = (changes: Record<number, string> = {}) =>
    Array.from({ length: 10 }, (_, i) => `${changes[i + 1] ?? `line ${i + 1}`}\n`).join("");

/** The feature branch's module, as the indexed run executed it: lines 3, 6, 8 and 10 changed. */
const FEATURE = source({ 3: "changed 3", 6: "changed 6", 8: "changed 8", 10: "# a comment" });

/** A checkout: main with app/pkg/mod.py and a README, then branch feature with the module changed and a new file. */
function checkout(): string {
    const dir = fs.realpathSync(tempDir());
    git(dir, "init", "-q", "-b", "main");
    writeFiles(dir, { "app/pkg/mod.py": source(), "README.md": "readme\n" });
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "base");
    git(dir, "checkout", "-q", "-b", "feature");
    writeFiles(dir, { "app/pkg/mod.py": FEATURE, "app/pkg/new.py": "x = 1\n", "README.md": "readme, changed\n" });
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "feature");
    return dir;
}

/**
 * A report folder with one indexed run of service "shop" (source app/ of `repo`) as the harvest and the component
 * leave it: harvest.json, summary.json, the index and the copy of the source the run executed (FEATURE).
 * Statements 1-3, 5, 6, 8, 9; 8 and 9 never ran; 1 and 6 only outside tests.
 */
function indexedRun(repo: string): string {
    const reportDir = tempDir();
    const run = path.join(reportDir, "runs", RUN);
    const reports = { html: "total/html", json: "total/coverage.json", xml: "x", lcov: "l", text: "t" };
    writeFiles(run, {
        "harvest.json": JSON.stringify({
            reports,
            services: { shop: { dataFiles: 1, reportRoot: "shop", report: "shop/coverage.json" } },
            lostProcesses: [],
            warnings: [],
            perTest: { index: "total/contexts.json" },
        }),
        "summary.json": JSON.stringify({
            files: [
                {
                    service: "shop",
                    path: "pkg/mod.py",
                    containerPath: "/app/pkg/mod.py",
                    hostPath: path.join(repo, "app", "pkg", "mod.py"),
                    executedLines: [1, 2, 3, 5, 6],
                    missingLines: [8, 9],
                },
            ],
        }),
        "total/contexts.json": JSON.stringify({
            outside: "(no test)",
            files: {
                "shop/pkg/mod.py": {
                    "1": ["(no test)"],
                    "2": [TEST_A],
                    "3": [TEST_A, TEST_B],
                    "5": [TEST_B],
                    "6": ["(no test)"],
                },
            },
        }),
        "sources/shop/pkg/mod.py": FEATURE,
    });
    return reportDir;
}

/** The answer on the feature branch, its module at `gitPath`: every list, and no note. */
function expectFeatureAnswer(answer: ChangedTests, gitPath: string): void {
    expect(answer.tests).toEqual([
        { test: TEST_A, files: [{ gitPath, lines: [3] }] },
        { test: TEST_B, files: [{ gitPath, lines: [3] }] },
    ]);
    expect(answer.outsideTests).toEqual([{ gitPath, lines: [6] }]);
    // Line 10 is no statement: in no list, as in patch coverage.
    expect(answer.untested).toEqual([{ gitPath, lines: [8] }]);
    expect(answer.unknown).toEqual([
        { gitPath: "README.md", lines: [1], why: "not measured" },
        { gitPath: "app/pkg/new.py", lines: [1], why: "not measured" },
    ]);
    expect(answer.notes).toEqual([]);
}

describe("who --changed: the tests that executed a checkout's changed lines", () => {
    it("maps a line of the checkout to the run's line through the hunks since the run", () => {
        // Two lines added after line 1, line 6 (now 8) changed, lines 11-12 deleted (after new line 12, old 10).
        const hunks = [
            { oldStart: 1, oldCount: 0, newStart: 2, newCount: 2 },
            { oldStart: 6, oldCount: 1, newStart: 8, newCount: 1 },
            { oldStart: 11, oldCount: 2, newStart: 12, newCount: 0 },
        ];
        expect([1, 2, 3, 4, 7, 8, 9, 12, 13].map((n) => lineInRun(n, hunks))).toEqual([
            1,
            undefined,
            undefined,
            2,
            5,
            undefined,
            7,
            10,
            13,
        ]);
        expect(lineInRun(5, [])).toBe(5);
    });

    it("sorts each changed line: tests, outside tests, no test, unknown (real git, a hand-made index)", () => {
        const repo = checkout();
        const answer = readChangedTests(indexedRun(repo), "main");
        expect(answer.run).toBe(RUN);
        expect(answer.base?.ref).toBe("main");
        expect(answer.base?.commit).toBe(git(repo, "rev-parse", "main").trim());
        expectFeatureAnswer(answer, "app/pkg/mod.py");
    });

    it("tells lines changed since the run apart and finds the others at their run's numbers", () => {
        const repo = checkout();
        // After the run: two lines on top (uncommitted), line 5 (was 3) changed, and line 2 (was test_a's) deleted.
        const lines = FEATURE.split("\n");
        lines.splice(1, 1);
        lines.splice(0, 0, "new 1", "new 2");
        lines[3] = "changed again";
        fs.writeFileSync(path.join(repo, "app", "pkg", "mod.py"), lines.join("\n"));
        const answer = readChangedTests(indexedRun(repo), "main");
        // Run line 5 (test_b's) is now line 5 through the shifts (+2, -1); run line 3 is line 4, changed again.
        expect(answer.tests).toEqual([]);
        expect(answer.unknown).toContainEqual({
            gitPath: "app/pkg/mod.py",
            lines: [1, 2, 4],
            why: "changed since the run",
        });
        expect(answer.outsideTests).toEqual([{ gitPath: "app/pkg/mod.py", lines: [7] }]);
        expect(answer.untested).toEqual([{ gitPath: "app/pkg/mod.py", lines: [9] }]);
    });

    it("takes lines as they are, and says so, when the run kept no copy of the source", () => {
        const repo = checkout();
        const reportDir = indexedRun(repo);
        fs.rmSync(path.join(reportDir, "runs", RUN, "sources"), { recursive: true });
        const answer = readChangedTests(reportDir, "main");
        expect(answer.tests.map((t) => t.test)).toEqual([TEST_A, TEST_B]);
        expect(answer.notes).toEqual(["the run kept no copy of app/pkg/mod.py: its lines are taken to be the run's"]);
    });

    it("finds a file renamed since the run under its old name, compared with the run's copy (real git)", () => {
        // The run indexed app/pkg/mod.py; then the branch moves it to app/pkg/shop.py (uncommitted), as it is.
        const repo = checkout();
        git(repo, "mv", "app/pkg/mod.py", "app/pkg/shop.py");
        // Compared with the run's copy under the new name, so no note that its lines were taken as they are.
        expectFeatureAnswer(readChangedTests(indexedRun(repo), "main"), "app/pkg/shop.py");
    });

    it("says why when the base has no merge-base with the checkout", () => {
        const repo = checkout();
        expect(() => readChangedTests(indexedRun(repo), "no-such-branch")).toThrow(
            /no changed lines to ask about: the patch base "no-such-branch" has no merge-base/,
        );
    });
});

describe("who --changed's formats", () => {
    const answer: ChangedTests = {
        run: RUN,
        base: { ref: "main", commit: "0123456789abcdef0123" },
        tests: [
            { test: TEST_A, files: [{ gitPath: "app/pkg/mod.py", lines: [3, 4, 5, 9] }] },
            { test: TEST_B, files: [{ gitPath: "app/pkg/mod.py", lines: [3] }] },
        ],
        outsideTests: [{ gitPath: "app/pkg/mod.py", lines: [6] }],
        untested: [{ gitPath: "app/pkg/mod.py", lines: [8] }],
        unknown: [{ gitPath: "app/pkg/new.py", lines: [1, 2], why: "not measured" }],
        notes: [],
    };

    it("prints tests with their line ranges, then what no test ran, then the unknown", () => {
        expect(formatChangedTests(answer, "text")).toBe(
            [
                `changed lines since main (0123456789ab), by the tests of run ${RUN} that executed them:`,
                `  ${TEST_A}`,
                "    app/pkg/mod.py: 3-5, 9",
                `  ${TEST_B}`,
                "    app/pkg/mod.py: 3",
                "executed only outside tests (start-up, between tests):",
                "  app/pkg/mod.py: 6",
                "executed by no test:",
                "  app/pkg/mod.py: 8",
                "unknown to the run's index:",
                "  app/pkg/new.py: 1-2  (not measured)",
            ].join("\n"),
        );
    });

    it("prints pytest node ids as they are, one a line, and refuses names of another runner", () => {
        expect(formatChangedTests(answer, "pytest")).toBe(`${TEST_A}\n${TEST_B}`);
        expect(() => formatChangedTests(answer, "unittest")).toThrow(/otherwise than unittest.*use --format pytest/);
        const unittest = { ...answer, tests: [{ test: "test_demo.DemoTest.test_price", files: [] }] };
        expect(formatChangedTests(unittest, "unittest")).toBe("test_demo.DemoTest.test_price");
        expect(() => formatChangedTests(unittest, "pytest")).toThrow(/otherwise than pytest.*use --format unittest/);
        const shell = { ...answer, tests: [{ test: "checkout flow", files: [] }] };
        expect(() => formatChangedTests(shell, "pytest")).toThrow(/use --format text or json/);
        expect(formatChangedTests({ ...answer, tests: [] }, "pytest")).toBe("");
    });

    it("prints the answer's whole shape as JSON", () => {
        expect(JSON.parse(formatChangedTests(answer, "json"))).toEqual(answer);
    });
});

describe("the command's who --changed", () => {
    it("refuses a --base git would misread, an unknown --format, and --base, --format or a FILE in the wrong place", async () => {
        const refused = async (argv: string[], message: RegExp) => {
            const answer = runWho(argv);
            await expect(answer).rejects.toBeInstanceOf(UsageError);
            await expect(answer).rejects.toThrow(message);
        };
        await refused(["--changed", "--base", "-x"], /^--base "-x" must be a git ref or commit .*; usage: /);
        await refused(["--changed", "--format", "xml"], /^--format xml: expected one of text, pytest, unittest, json/);
        await refused(["demo_app/pricing.py:3", "--base", "main"], /^--base and --format go with --changed/);
        await refused(["--changed", "demo_app/pricing.py"], /^--changed asks about the changed lines, not demo_app/);
    });

    it("prints the selection of a report folder's newest indexed run", async () => {
        const reportDir = indexedRun(checkout());
        const written: string[] = [];
        const write = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
            written.push(String(chunk));
            return true;
        });
        try {
            await runWho(["--changed", "--base", "main", "--format", "pytest", "--report-dir", reportDir]);
        } finally {
            write.mockRestore();
        }
        expect(written.join("")).toBe(`${TEST_A}\n${TEST_B}\n`);
    });
});
