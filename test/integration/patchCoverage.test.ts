import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CoverageSummary, FileCoverage, PatchCoverage } from "../../components/summary/coverageSummary";
import { parseCoverageJson } from "../../components/summary/parseCoverageJson";
import { readPatchCoverage } from "../../components/summary/readPatchCoverage";
import { REPO_ROOT } from "./engine";
import { checkoutDemoService, demoCheckout, edited, run, write } from "./gitCheckout";
import { UpResult, destroyStack, upStack } from "./stackRun";

jest.setTimeout(15 * 60 * 1000);

/** What this test reads of diff-cover's --json-report. */
interface DiffCoverReport {
    src_stats: Record<string, { percent_covered: number | null; violation_lines: number[]; covered_lines: number[] }>;
    total_num_lines: number;
    total_num_violations: number;
    /** Over every changed file, measured or not. */
    num_changed_lines: number;
}

const CALC = `def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    result = 0
    for _ in range(b):
        result += a
    return result


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("b")
    return a / b
`;

const SHAPES = Array.from({ length: 15 }, (_, i) => `def shape_${i}(x):\n    return x * ${i}\n`).join("\n\n");

/**
 * The base: a package `app` (the measured source), a program outside it, tests and a README. The branch changes
 * lines of calc.py (modified, added, one deleted, a comment), adds a comment to the empty app/__init__.py, adds
 * app/fresh.py, renames app/shapes.py with edits, changes the program, a test and the README (outside the measured
 * source), and leaves an uncommitted edit in app/util.py.
 */
function preparedCheckout(root: string): void {
    run("git", ["init", "-q", "-b", "main"], root);
    write(root, {
        "app/__init__.py": "",
        "app/calc.py": CALC,
        "app/util.py": "def greet(name):\n    return 'hi ' + name\n\n\ndef shout(name):\n    return name.upper()\n",
        "app/shapes.py": SHAPES,
        "main.py": "from app import calc, util\n\nprint(calc.add(1, 2), util.greet('x'))\n",
        "tests/test_calc.py": "def test_add():\n    pass\n",
        "README.md": "# demo\n",
    });
    run("git", ["add", "-A"], root);
    run("git", ["commit", "-q", "-m", "base"], root);
    run("git", ["checkout", "-q", "-b", "feature"], root);
    const calc = CALC.replace("    return a - b\n", "    # subtract\n    return a - b if a > b else b - a\n")
        .replace('        raise ZeroDivisionError("b")\n', "        return None\n")
        .replace("    result = 0\n", "")
        .replace("    return a / b\n", "    quotient = a / b\n    return quotient\n");
    write(root, {
        "app/calc.py": calc.replace(
            "def mul(a, b):\n",
            "def mul(a, b):\n    result = 0\n    if b < 0:\n        return -mul(a, -b)\n",
        ),
        "app/fresh.py": "import os\n\n\ndef home():\n    return os.sep\n\n\ndef never():\n    return 1\n",
        "main.py":
            "from app import calc, fresh, shapes_v2, util\n\n" +
            "print(calc.add(1, 2), calc.sub(1, 5), calc.mul(2, 3), calc.div(4, 0), util.greet('x'))\n" +
            "print(fresh.home(), shapes_v2.shape_3(2), util.shout('y'))\n",
        "tests/test_calc.py": "def test_add():\n    assert True\n",
        "README.md": "# demo\n\nPatch coverage.\n",
        // A measured file without statements: in coverage-spy's files, left out by diff-cover.
        "app/__init__.py": "# the package\n",
    });
    run("git", ["mv", "app/shapes.py", "app/shapes_v2.py"], root);
    write(root, {
        "app/shapes_v2.py": SHAPES.replace("    return x * 3\n", "    return x * 3 + 0\n").replace(
            "    return x * 9\n",
            "    return x * 9 + 0\n",
        ),
    });
    run("git", ["add", "-A"], root);
    run("git", ["commit", "-q", "-m", "the change"], root);
    // Uncommitted, and in a file the commit did not touch (diff-cover adds the unstaged diff on its own).
    write(root, {
        "app/util.py":
            "def greet(name):\n    return 'hi ' + name\n\n\ndef shout(name):\n    return name.upper() + '!'\n\n\ndef whisper(name):\n    return name.lower()\n",
    });
}

/** The python of the cached venv with coverage.py and diff-cover (scripts/oracle-venv.sh diff-cover). */
function oraclePython(): string {
    const venv = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "oracle-venv.sh"), "diff-cover"], {
        encoding: "utf8",
    });
    if (venv.status !== 0) throw new Error(`scripts/oracle-venv.sh diff-cover failed: ${venv.stderr}`);
    return venv.stdout.trim().split("\n").pop()!;
}

/** diff-cover's JSON report over a Cobertura XML, run in the checkout `root` against main. */
function diffCover(python: string, xml: string, root: string): DiffCoverReport {
    const report = path.join(path.dirname(xml), "diff-cover.json");
    run(path.join(path.dirname(python), "diff-cover"), [xml, "--compare-branch=main", `--format=json:${report}`], root);
    return JSON.parse(fs.readFileSync(report, "utf8")) as DiffCoverReport;
}

/** Both sides of the oracle, and the measured files with statements (diff-cover's coverage information). */
interface Sides {
    ours: PatchCoverage;
    theirs: DiffCoverReport;
    withStatements: string[];
}

/** The oracle's checks: the same covered and missing changed lines per file, totals and changed-line count. */
function expectDiffCoverAgrees(sides: () => Sides): void {
    it("gives diff-cover's numbers for every file diff-cover has coverage for", () => {
        const { ours, theirs, withStatements } = sides();
        const files = Object.keys(theirs.src_stats).sort();
        expect(files).toEqual(ours.files.map((f) => f.gitPath).filter((f) => withStatements.includes(f)));
        for (const [file, stats] of Object.entries(theirs.src_stats)) {
            const mine = ours.files.find((f) => f.gitPath === file)!;
            expect({ file, executed: mine.executedLines, missing: mine.missingLines }).toEqual({
                file,
                executed: stats.covered_lines,
                missing: stats.violation_lines,
            });
            if (stats.percent_covered === null)
                expect({ file, hasPercent: "percent" in mine }).toEqual({ file, hasPercent: false });
            else expect(mine.percent).toBeCloseTo(stats.percent_covered, 9);
        }
        expect({ executable: ours.totals.executable, missing: ours.totals.missing }).toEqual({
            executable: theirs.total_num_lines,
            missing: theirs.total_num_violations,
        });
    });

    it("counts the same changed lines, measured and unmeasured files together", () => {
        const { ours, theirs } = sides();
        const unmeasured = ours.unmeasured.reduce((n, u) => n + u.changedLines.length, 0);
        expect(ours.totals.changed + unmeasured).toBe(theirs.num_changed_lines);
    });
}

/**
 * The oracle: diff-cover (PyPI, pinned in scripts/oracle-venv.sh) over coverage.py's Cobertura XML and the same
 * checkout must give the same per-file numbers as coverage-spy's patch coverage over coverage.py's JSON report of
 * the same data, with the files it has no coverage for being coverage-spy's unmeasured ones.
 */
describe("patch coverage against diff-cover", () => {
    let root: string;
    let ours: PatchCoverage;
    let theirs: DiffCoverReport;
    /** The measured files with statements, by path in the checkout: diff-cover's "coverage information". */
    let withStatements: string[];

    beforeAll(() => {
        const python = oraclePython();
        root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-patch-")));
        preparedCheckout(root);
        // Outside the checkout: coverage.py's own files are no change of the branch.
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-patch-out-"));
        const rc = path.join(out, "coveragerc");
        fs.writeFileSync(rc, `[run]\nsource = app\nrelative_files = true\ndata_file = ${out}/.coverage\n`);
        run(python, ["-m", "coverage", "run", "--rcfile", rc, "main.py"], root);
        run(python, ["-m", "coverage", "xml", "--rcfile", rc, "-o", path.join(out, "coverage.xml")], root);
        run(python, ["-m", "coverage", "json", "--rcfile", rc, "-o", path.join(out, "coverage.json")], root);
        theirs = diffCover(python, path.join(out, "coverage.xml"), root);

        const hostSourcePath = path.join(root, "app");
        const files: FileCoverage[] = parseCoverageJson(
            fs.readFileSync(path.join(out, "coverage.json"), "utf8"),
        ).files.map(({ reportPath, ...counts }) => {
            const relative = path.relative("app", reportPath);
            return {
                ...counts,
                service: "app",
                path: relative,
                containerPath: `/app/${relative}`,
                hostPath: path.join(hostSourcePath, relative),
            };
        });
        withStatements = files.filter((f) => f.statements > 0).map((f) => `app/${f.path}`);
        ours = readPatchCoverage({ files, services: [{ name: "app", hostSourcePath }], base: "main" });
        fs.rmSync(out, { recursive: true, force: true });
    });

    afterAll(() => {
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("measures the prepared change: every kind of change is in it", () => {
        expect(ours.unavailable).toBeUndefined();
        expect(ours.files.map((f) => f.gitPath)).toEqual([
            "app/__init__.py",
            "app/calc.py",
            "app/fresh.py",
            "app/shapes_v2.py",
            "app/util.py",
        ]);
        expect(ours.unmeasured.map((u) => u.gitPath)).toEqual(["README.md", "main.py", "tests/test_calc.py"]);
        // Executed and missing changed statements both occur, and changed comments count in neither.
        expect(ours.totals.executed).toBeGreaterThan(0);
        expect(ours.totals.missing).toBeGreaterThan(0);
        expect(ours.totals.changed).toBeGreaterThan(ours.totals.executable);
        // A file whose changed lines are no statements has no percent (absent, as the totals' when unavailable).
        expect(ours.files.find((f) => f.gitPath === "app/__init__.py")).not.toHaveProperty("percent");
        expect(ours.files.find((f) => f.gitPath === "app/__init__.py")).toHaveProperty("changedLines");
    });

    expectDiffCoverAgrees(() => ({ ours, theirs, withStatements }));
});

/**
 * A branch of the demo in `root` (its source in app/, its tests in tests/): a deleted, a modified and added lines in
 * pricing.py and inventory.py, a new module audit.py that handlers.py calls, reports.py renamed to report_runner.py
 * with an edit, and changes outside the measured source (a test, the README).
 */
function demoBranch(root: string): void {
    demoCheckout(root);
    const source = (file: string) => fs.readFileSync(path.join(root, "app", "demo_app", file), "utf8");
    let pricing = edited(source("pricing.py"), '"""Prices with a bulk discount."""\n', "");
    pricing = edited(pricing, "    discount = 0\n", "    discount = 0  # below the bulk quantity\n");
    pricing = edited(
        pricing,
        "def price_list(currency):\n",
        "def price_list(currency):\n    currency = currency.upper()\n",
    );
    const handlers = edited(
        edited(
            source("handlers.py"),
            "from demo_app import inventory, pricing, reports\n",
            "from demo_app import audit, inventory, pricing, report_runner as reports\n",
        ),
        "    parsed = urllib.parse.urlsplit(path)\n",
        "    parsed = urllib.parse.urlsplit(path)\n    audit.record(parsed.path)\n",
    );
    write(root, {
        "app/demo_app/pricing.py": pricing,
        "app/demo_app/inventory.py": edited(
            source("inventory.py"),
            "    if item not in STOCK:\n",
            "    item = item.strip()\n    if item not in STOCK:\n",
        ),
        "app/demo_app/handlers.py": handlers,
        "app/demo_app/audit.py":
            '"""Counts the requests of each path."""\nSEEN = {}\n\n\ndef record(path):\n' +
            "    SEEN[path] = SEEN.get(path, 0) + 1\n    return SEEN[path]\n\n\ndef reset():\n    SEEN.clear()\n",
        "tests/test_demo.py": `${fs.readFileSync(path.join(root, "tests", "test_demo.py"), "utf8")}# a change outside the source\n`,
        "README.md": "# the demo\n\nOn a branch.\n",
    });
    run("git", ["mv", "app/demo_app/reports.py", "app/demo_app/report_runner.py"], root);
    write(root, {
        "app/demo_app/report_runner.py": edited(
            source("report_runner.py"),
            "    if result.returncode != 0:\n",
            "    if result.returncode:\n",
        ),
    });
    run("git", ["add", "-A"], root);
    run("git", ["commit", "-q", "-m", "the change"], root);
}

/**
 * The same oracle on the demo measured in its container by a real `pulumi up` (the package's command): the branch's
 * source is bind-mounted over the image's /app and named as hostSourcePath, and failUnderPatch 100 fails the update
 * after the outputs and reports are written. diff-cover reads the run's own Cobertura XML, its report root ("demo/")
 * mapped onto the checkout's app/ as hostSourcePath maps it.
 */
describe("patch coverage of the demo, through the command", () => {
    const stack = `itest-patch-${process.pid}`;
    let root: string;
    let up: UpResult;
    let summary: CoverageSummary;
    let theirs: DiffCoverReport;

    beforeAll(() => {
        const python = oraclePython();
        root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-patch-demo-")));
        demoBranch(root);
        up = upStack({
            stack,
            service: checkoutDemoService(root),
            testCommand: `python3 -m unittest discover -s ${path.join(root, "tests")} -v`,
            config: { patchBase: "main", failUnderPatch: 100 },
        });
        if (!up.outputs)
            throw new Error(`pulumi up of ${stack} wrote no outputs (exit ${up.status}):\n${up.output.slice(-6000)}`);
        summary = up.outputs.coverage as CoverageSummary;
        const xml = fs.readFileSync(summary.reports.xml, "utf8");
        const mapped = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-patch-xml-")), "coverage.xml");
        fs.writeFileSync(
            mapped,
            xml
                .replace(/<source>[^<]*<\/source>/g, `<source>${root}</source>`)
                .replace(/filename="demo\//g, 'filename="app/'),
        );
        theirs = diffCover(python, mapped, root);
        fs.rmSync(path.dirname(mapped), { recursive: true, force: true });
    });

    afterAll(() => {
        destroyStack(stack);
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("fails the update on failUnderPatch after writing the outputs, and leads the summaries with the patch", () => {
        expect(up.status).not.toBe(0);
        expect(up.output).toMatch(
            /patch coverage \d+\.\d\d% \(\d+ of \d+ changed statements since main\) is under failUnderPatch 100%/,
        );
        expect(up.output).toMatch(/^PATCH {2}\d+\.\d\d% of \d+ changed statements executed since main/m);
        expect(fs.readFileSync(summary.reports.markdown, "utf8").split("\n")[0]).toMatch(/^## Patch coverage \d/);
        const patch = summary.patch!;
        expect(patch.base).toEqual({ ref: "main", commit: run("git", ["merge-base", "HEAD", "main"], root).trim() });
        expect(patch.files.map((f) => f.gitPath)).toEqual([
            "app/demo_app/audit.py",
            "app/demo_app/handlers.py",
            "app/demo_app/inventory.py",
            "app/demo_app/pricing.py",
            "app/demo_app/report_runner.py",
        ]);
        expect(patch.unmeasured.map((u) => u.gitPath)).toEqual(["README.md", "tests/test_demo.py"]);
        const pricing = patch.files.find((f) => f.path === "demo_app/pricing.py")!;
        expect(pricing.executedLines).toHaveLength(1);
        expect(pricing.missingLines).toHaveLength(1);
        expect(patch.files.find((f) => f.path === "demo_app/audit.py")!.missingLines).toHaveLength(1);
    });

    expectDiffCoverAgrees(() => ({
        ours: summary.patch!,
        theirs,
        withStatements: summary.files.filter((f) => f.statements > 0).map((f) => `app/${f.path}`),
    }));
});
