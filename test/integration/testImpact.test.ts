import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChangedTests } from "../../cli/contexts/changedTests";
import { Service } from "../../components/options/args";
import { shellQuote } from "../../components/shared/shell";
import { CoverageSummary, PatchFile } from "../../components/summary/coverageSummary";
import { REPO_ROOT } from "./engine";
import { exampleServices } from "./exampleStacks";
import { checkoutDemoService, checkoutService, edited, exampleCheckout, run, write } from "./gitCheckout";
import { pytestPython } from "./runnerVenv";
import { StackInput, UpResult, destroyStack, upStack } from "./stackRun";

jest.setTimeout(20 * 60 * 1000);

const PRICING = "app/demo_app/pricing.py";

/**
 * examples/EXAMPLE checked out in `root` (gitCheckout.ts), `file` changed by `change` and `more` written, committed
 * on the branch; the file's new text.
 */
function commitChange(
    root: string,
    example: string,
    file: string,
    change: (text: string) => string,
    more: Record<string, string> = {},
): string {
    exampleCheckout(root, example);
    const text = change(fs.readFileSync(path.join(root, file), "utf8"));
    write(root, { [file]: text, ...more });
    run("git", ["commit", "-q", "-am", "a local change"], root);
    return text;
}

/**
 * A local change on the demo's branch: in pricing.py the total (run by the tests that get a price), the bulk discount
 * (run by one test) and the message of a currency no test asks for (run by none); and the README (not measured).
 */
function localChange(root: string): void {
    const readme = { "README.md": "# the demo\n\nOn a branch.\n" };
    commitChange(
        root,
        "demo",
        PRICING,
        (pricing) => {
            pricing = edited(pricing, "    total = unit * quantity\n", "    total = quantity * unit\n");
            pricing = edited(
                pricing,
                "BULK_DISCOUNT_PERCENT // 100\n",
                "BULK_DISCOUNT_PERCENT // 100  # rounded down\n",
            );
            return edited(pricing, '"only EUR prices are kept")', '"only EUR prices are kept here")');
        },
        readme,
    );
}

/** The package's command `who --changed` on a report folder, in the checkout; its stdout, or an error. */
function whoChanged(root: string, reportDir: string, format: string): string {
    const who = spawnSync(
        "node",
        [
            path.join(REPO_ROOT, "bin", "cli", "main.js"),
            "who",
            "--changed",
            "--base",
            "main",
            "--format",
            format,
            "--report-dir",
            reportDir,
        ],
        { cwd: root, encoding: "utf8" },
    );
    if (who.status !== 0)
        throw new Error(`who --changed --format ${format} failed (${who.status}):\n${who.stdout}${who.stderr}`);
    return who.stdout;
}

/** The changed lines each measured file's run executed, by path in the checkout. */
function executedChanges(summary: CoverageSummary): Record<string, number[]> {
    return Object.fromEntries((summary.patch?.files ?? []).map((f: PatchFile) => [f.gitPath, f.executedLines]));
}

function summaryOf(stack: string, up: UpResult): CoverageSummary {
    if (up.status !== 0 || !up.outputs)
        throw new Error(`pulumi up of ${stack} failed (exit ${up.status}):\n${up.output.slice(-6000)}`);
    return up.outputs.coverage as CoverageSummary;
}

/**
 * Runs only the selected tests (`input`'s test command, no per-test contexts): they pass, all `count` of them, and
 * execute exactly the changed lines the whole suite (`full`) executed, which are some.
 */
function expectSelectionExecutesTheChanges(input: StackInput, full: CoverageSummary, count: number): void {
    const only = summaryOf(input.stack, upStack(input));
    expect(only.tests.succeeded).toBe(true);
    expect(only.tests.passed).toBe(count);
    const whole = executedChanges(full);
    expect(Object.values(whole).flat().length).toBeGreaterThan(0);
    expect(executedChanges(only)).toEqual(whole);
}

/**
 * Test impact on the demo through the command: the whole suite runs with per-test contexts on a branch with a local
 * change, `who --changed` selects tests from its index, then the same stack runs only those (as `python -m unittest`
 * takes the names --format unittest prints). Safety: the selected tests execute every changed line the whole suite
 * executed; the selection is smaller than the suite.
 */
describe("who --changed on the demo: the tests a change needs", () => {
    const stack = `itest-impact-${process.pid}`;
    let root: string;
    let service: Service;
    let full: CoverageSummary;
    let answer: ChangedTests;
    let selected: string[];
    let text: string;

    beforeAll(() => {
        root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-impact-")));
        localChange(root);
        service = checkoutDemoService(root);
        full = summaryOf(
            stack,
            upStack({
                stack,
                service,
                testCommand: "python3 -m coverage_spy_runner unittest discover -s . -v",
                config: { patchBase: "main", perTestContexts: true, testWorkingDir: path.join(root, "tests") },
            }),
        );
        const reportDir = path.dirname(path.dirname(full.reports.dir));
        answer = JSON.parse(whoChanged(root, reportDir, "json")) as ChangedTests;
        selected = whoChanged(root, reportDir, "unittest").trim().split("\n");
        text = whoChanged(root, reportDir, "text");
    });

    afterAll(() => {
        destroyStack(stack);
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("selects the tests that executed a changed line, fewer than the suite, and lists the rest", () => {
        expect(answer.run).toBe(full.runId);
        expect(answer.base?.commit).toBe(run("git", ["merge-base", "HEAD", "main"], root).trim());
        const suite = Object.keys(full.perTest!.tests);
        expect(suite.length).toBeGreaterThanOrEqual(10);
        expect(selected).toEqual(answer.tests.map((t) => t.test));
        expect(selected).toContain("test_demo.DemoTest.test_bulk_discount");
        expect(selected.length).toBeLessThan(suite.length);
        for (const test of selected) expect(suite).toContain(test);
        // The line no test asks for, and the README the run did not measure.
        const pricing = full.patch!.files.find((f) => f.gitPath === PRICING)!;
        expect(answer.untested).toEqual([{ gitPath: PRICING, lines: pricing.missingLines }]);
        expect(pricing.missingLines).toHaveLength(1);
        expect(answer.unknown).toEqual([{ gitPath: "README.md", lines: [2, 3], why: "not measured" }]);
        // Each test's lines are changed lines the whole run executed.
        for (const t of answer.tests)
            for (const f of t.files) for (const line of f.lines) expect(pricing.executedLines).toContain(line);
    });

    it("says the same for a person: each test with its line ranges, then the untested and unknown lines", () => {
        for (const t of answer.tests) expect(text).toContain(`\n  ${t.test}\n    ${PRICING}: `);
        expect(text).toMatch(new RegExp(`executed by no test:\\n  ${PRICING}: \\d+\\n`));
        expect(text).toContain("unknown to the run's index:\n  README.md: 2-3  (not measured)");
    });

    it("calls a line changed after the run unknown, and finds the others where they moved", () => {
        const file = path.join(root, PRICING);
        const before = fs.readFileSync(file, "utf8");
        fs.writeFileSync(file, `# edited after the run\n${before}`);
        try {
            const later = JSON.parse(
                whoChanged(root, path.dirname(path.dirname(full.reports.dir)), "json"),
            ) as ChangedTests;
            expect(later.unknown).toContainEqual({ gitPath: PRICING, lines: [1], why: "changed since the run" });
            const shifted = (t: ChangedTests) =>
                t.tests.map((x) => ({ ...x, files: x.files.map((f) => ({ ...f, lines: f.lines.map((n) => n - 1) })) }));
            expect(shifted(later)).toEqual(answer.tests);
        } finally {
            fs.writeFileSync(file, before);
        }
    });

    it("follows a file renamed after the run: the same tests and lines, under its new name", () => {
        const renamed = "app/demo_app/prices.py";
        run("git", ["mv", PRICING, renamed], root);
        try {
            const later = JSON.parse(
                whoChanged(root, path.dirname(path.dirname(full.reports.dir)), "json"),
            ) as ChangedTests;
            const underNewName = answer.tests.map((t) => ({
                ...t,
                files: t.files.map((f) => ({ ...f, gitPath: f.gitPath === PRICING ? renamed : f.gitPath })),
            }));
            expect(later.tests).toEqual(underNewName);
            expect(later.untested).toEqual(answer.untested.map((u) => ({ ...u, gitPath: renamed })));
            expect(later.notes).toEqual([]);
        } finally {
            run("git", ["mv", renamed, PRICING], root);
        }
    });

    it("running only the selected tests executes every changed line the whole suite executed", () => {
        expectSelectionExecutesTheChanges(
            {
                stack,
                service,
                testCommand: `python3 -m unittest -v ${selected.join(" ")}`,
                config: { patchBase: "main", testWorkingDir: path.join(root, "tests") },
            },
            full,
            selected.length,
        );
    });
});

const SUPPLIERS = "app/orders_api/suppliers.py";

/**
 * A local change on the FastAPI example's branch, in suppliers.py, inside functions only: the supplier's bulk check
 * and a check that some supplier answered (run by both quote tests), the line only the bulk quote runs, and the
 * error no test reaches (every quote has offers). Returns the error's line. No module-level line: a uvicorn worker
 * still starting when the first test begins imports the module in that test's context.
 */
function suppliersChange(root: string): number {
    const raise = '        raise LookupError("no supplier answered")';
    const suppliers = commitChange(root, "fastapi", SUPPLIERS, (text) => {
        text = edited(text, 'if quantity > 50 and name == "east":', 'if name == "east" and quantity > 50:');
        text = edited(text, "return None  # east does not ship bulk orders", "return None  # east ships no bulk");
        const offers = "    offers = [answer for answer in answers if answer is not None]\n";
        return edited(text, offers, `${offers}    if not offers:\n${raise}\n`);
    });
    return suppliers.split("\n").indexOf(raise) + 1;
}

/**
 * The same safety check on a real framework: the FastAPI example (uvicorn, several workers) with its suite under
 * pytest and the runner's plugin, then only the node ids `who --changed --format pytest` printed, run by pytest from
 * the same folder.
 */
describe("who --changed on the FastAPI example under pytest: the tests a change needs", () => {
    const stack = `itest-impact-fastapi-${process.pid}`;
    const quoteTests = ["test_bulk_quote_skips_a_supplier", "test_quote_asks_every_supplier"].map(
        (name) => `tests/test_orders_api.py::OrdersApiTest::${name}`,
    );
    let root: string;
    let service: Service;
    let python: string;
    let unreached: number;
    let full: CoverageSummary;
    let answer: ChangedTests;
    let selected: string[];

    beforeAll(() => {
        root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-impact-fastapi-")));
        unreached = suppliersChange(root);
        service = checkoutService(exampleServices("fastapi")[0], root);
        python = pytestPython();
        full = summaryOf(
            stack,
            upStack({
                stack,
                service,
                testCommand: `${shellQuote(python)} -m pytest -p coverage_spy_runner tests -q`,
                config: { patchBase: "main", perTestContexts: true, testWorkingDir: root },
            }),
        );
        const reportDir = path.dirname(path.dirname(full.reports.dir));
        answer = JSON.parse(whoChanged(root, reportDir, "json")) as ChangedTests;
        selected = whoChanged(root, reportDir, "pytest").trim().split("\n");
    });

    afterAll(() => {
        destroyStack(stack);
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("selects the quote tests by their node ids, fewer than the suite, and lists the line no test reaches", () => {
        expect(answer.run).toBe(full.runId);
        const suite = Object.keys(full.perTest!.tests);
        expect(suite.length).toBeGreaterThanOrEqual(10);
        expect(selected).toEqual(answer.tests.map((t) => t.test));
        expect(selected).toEqual(expect.arrayContaining(quoteTests));
        expect(selected.length).toBeLessThan(suite.length);
        for (const test of selected) expect(suite).toContain(test);
        const suppliers = full.patch!.files.find((f) => f.gitPath === SUPPLIERS)!;
        expect(suppliers.missingLines).toEqual([unreached]);
        expect(answer.untested).toEqual([{ gitPath: SUPPLIERS, lines: [unreached] }]);
        expect(answer.outsideTests).toEqual([]);
        expect(answer.unknown).toEqual([]);
        for (const t of answer.tests)
            for (const f of t.files) for (const line of f.lines) expect(suppliers.executedLines).toContain(line);
    });

    it("running only the selected tests executes every changed line the whole suite executed", () => {
        expectSelectionExecutesTheChanges(
            {
                stack,
                service,
                testCommand: `${shellQuote(python)} -m pytest -q ${selected.map(shellQuote).join(" ")}`,
                config: { patchBase: "main", testWorkingDir: root },
            },
            full,
            selected.length,
        );
    });
});
