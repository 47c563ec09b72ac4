import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { ContextIndex } from "../../cli/contexts/whoRan";
import { ensureSpyLib } from "../testEnvironment";
import { REPO_ROOT, docker } from "./engine";
import { pytestPython } from "./runnerVenv";
import { destroyStack, runStack, stackRun, StackRun, trackStack } from "./stackRun";

jest.setTimeout(10 * 60 * 1000);

/** Lines per file ("pkg/mod.py", relative to the service's source), per test. */
type LinesByTest = Record<string, Record<string, number[]>>;

interface Case {
    name: string;
    /** The stack config it starts from. */
    stackFile: string;
    /** The oracle's server (test/integration/context_oracle.py --app). */
    app: string;
    image: string;
    service: string;
    /** The suite's folder, relative to the repository. */
    tests: string;
    /** The suite through the runner side: a function of the venv's python with pytest (scripts/runner-venv.sh). */
    testCommand: (pytestPython: string) => string;
    /** The runner side it uses, which sets how many boundaries the relay is told (see boundariesOf). */
    runner: "unittest" | "pytest";
    env?: Record<string, string>;
}

const CASES: Case[] = [
    {
        name: "demo",
        stackFile: "Pulumi.dev.yaml",
        app: "demo",
        image: "coverage-spy/demo-app:latest",
        service: "demo",
        tests: "examples/demo/tests",
        // The unittest entry: the suite unchanged, each test's start and end told to the relay.
        testCommand: () => "python3 -m coverage_spy_runner unittest discover -s examples/demo/tests -v",
        runner: "unittest",
    },
    {
        name: "fastapi",
        stackFile: "Pulumi.example-fastapi.yaml",
        app: "fastapi",
        image: "coverage-spy/example-fastapi:latest",
        service: "api",
        tests: "examples/fastapi/tests",
        // The pytest plugin, loaded with -p: no change to the tests. First, in no test, every worker answers: one still
        // starting when a test runs would run the app's top level in that test (wait_for_workers.py says why).
        testCommand: (python) =>
            `'${python}' test/integration/wait_for_workers.py 4 "$COVERAGE_SPY_API_URL/whoami" && ` +
            `'${python}' -m pytest -p coverage_spy_runner examples/fastapi/tests -q`,
        runner: "pytest",
        env: { DATA_DIR: "/tmp/orders-api" },
    },
];

/**
 * The boundaries the runner side tells the relay for `tests` (keys of testKey): one per test, its start, which carries
 * the end of the test before; an end on its own after the last test, and with unittest after the last test of each
 * class, because unittest runs class fixtures between two classes, outside both.
 */
function boundariesOf(c: Case, tests: string[]): number {
    const classes = new Set(tests.map((test) => test.split(".")[0]));
    return tests.length + (c.runner === "unittest" ? classes.size : 1);
}

/** "tests.test_x.Case.test_y", "examples/x/tests/test_x.py::Case::test_y" → "Case.test_y". */
function testKey(id: string): string {
    return id.split(/::|\./).slice(-2).join(".");
}

/**
 * The oracle: the same app and the same tests in one process of the same image, each test under coverage.py's own
 * context (Coverage.switch_context, and [run] context for the subprocesses it starts).
 */
function oracle(c: Case): LinesByTest {
    const lib = ensureSpyLib();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-context-oracle-"));
    fs.chmodSync(out, 0o777);
    try {
        const env = Object.entries(c.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
        docker(
            "run",
            "--rm",
            "--label",
            `coverage-spy.stack=itest-context-oracle-${process.pid}`,
            "-v",
            `${lib}:/opt/oracle/lib:ro`,
            "-v",
            `${path.join(__dirname, "context_oracle.py")}:/opt/oracle/context_oracle.py:ro`,
            "-v",
            `${path.join(REPO_ROOT, c.tests)}:/opt/oracle/tests:ro`,
            "-v",
            `${out}:/opt/oracle/out`,
            "-e",
            "PYTHONPATH=/opt/oracle/lib:/app",
            ...env,
            c.image,
            "python3",
            "/opt/oracle/context_oracle.py",
            "--app",
            c.app,
            "--tests",
            "/opt/oracle/tests",
            "--out",
            "/opt/oracle/out/lines.json",
        );
        const lines = JSON.parse(fs.readFileSync(path.join(out, "lines.json"), "utf8")) as LinesByTest;
        return Object.fromEntries(Object.entries(lines).map(([test, files]) => [testKey(test), files]));
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

/** The run's index (total/contexts.json) as lines per file per context, for one service. */
function measuredByTest(index: ContextIndex, service: string): LinesByTest {
    const byTest: LinesByTest = {};
    for (const [file, lines] of Object.entries(index.files)) {
        if (!file.startsWith(`${service}/`)) continue;
        const relative = file.slice(service.length + 1);
        for (const [line, contexts] of Object.entries(lines)) {
            for (const context of contexts) {
                const key = context === index.outside ? context : testKey(context);
                ((byTest[key] ??= {})[relative] ??= []).push(Number(line));
            }
        }
    }
    for (const files of Object.values(byTest)) for (const lines of Object.values(files)) lines.sort((a, b) => a - b);
    return byTest;
}

describe.each(CASES)("per-test contexts on the $name example, through a real pulumi up", (c) => {
    const stack = `itest-contexts-${c.name}-${process.pid}`;
    let run: StackRun;
    let index: ContextIndex;
    let reference: LinesByTest;

    beforeAll(() => {
        const file = parse(fs.readFileSync(path.join(REPO_ROOT, "stacks", c.stackFile), "utf8")) as {
            config: Record<string, unknown>;
        };
        file.config["coverage-spy:reportDir"] = trackStack(stack);
        file.config["coverage-spy:perTestContexts"] = true;
        file.config["coverage-spy:testCommand"] = c.testCommand(pytestPython());
        fs.writeFileSync(path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`), stringify(file));
        run = stackRun({ stack, service: { name: c.service, image: c.image }, testCommand: "" }, runStack("up", stack));
        index = JSON.parse(fs.readFileSync(run.summary.perTest!.index, "utf8")) as ContextIndex;
        reference = oracle(c);
    });

    afterAll(() => destroyStack(stack));

    it("gives each test exactly the lines it runs in one process under coverage.py's own contexts", () => {
        const measured = measuredByTest(index, c.service);
        const tests = Object.keys(reference).sort();
        expect(tests.length).toBeGreaterThanOrEqual(10);
        for (const test of tests) expect({ test, lines: measured[test] }).toEqual({ test, lines: reference[test] });
        // No test of ours that the oracle does not know: the lines outside tests have their own context.
        expect(Object.keys(measured).sort()).toEqual([...tests, index.outside].sort());
    });

    it("puts start-up under its own named context, and reports every test and every boundary", () => {
        const perTest = run.summary.perTest!;
        expect(perTest.outside).toBe("(no test)");
        expect(perTest.outsideLines).toBeGreaterThan(0);
        expect(Object.keys(perTest.tests).map(testKey).sort()).toEqual(Object.keys(reference).sort());
        for (const reach of Object.values(perTest.tests)) expect(reach.lines).toBeGreaterThan(0);
        // A boundary per test and the ends above, every measured process switched each time, none failed, not parallel.
        expect(perTest.boundaries.count).toBe(boundariesOf(c, Object.keys(reference)));
        expect(perTest.boundaries.failed).toBe(0);
        expect(perTest.boundaries.maxProcesses).toBeGreaterThanOrEqual(2);
        expect(perTest.parallel).toBe(false);
        expect(run.summary.warnings ?? []).toEqual([]);
    });

    it("shows the contexts in the HTML and JSON reports, and answers coverage:who", () => {
        const html = fs.readFileSync(path.join(path.dirname(run.summary.reports.html), "index.html"), "utf8");
        expect(html).toContain("coverage");
        const pages = fs.readdirSync(path.dirname(run.summary.reports.html)).filter((f) => f.endsWith("_py.html"));
        const page = pages.map((f) => fs.readFileSync(path.join(path.dirname(run.summary.reports.html), f), "utf8"));
        expect(page.join("\n")).toContain("(no test)");
        const json = JSON.parse(fs.readFileSync(run.summary.reports.json, "utf8")) as {
            files: Record<string, { contexts?: Record<string, string[]> }>;
        };
        expect(Object.values(json.files).some((f) => Object.keys(f.contexts ?? {}).length > 0)).toBe(true);
        // The first line some test ran, asked as its path in the service.
        const [file, lines] = Object.entries(index.files).find(([, l]) =>
            Object.values(l).some((cs) => cs.some((x) => x !== index.outside)),
        )!;
        const [line, contexts] = Object.entries(lines).find(([, cs]) => cs.some((x) => x !== index.outside))!;
        // The stack's report folder is a temporary one here, so it is named with --report-dir.
        const reportDir = path.dirname(path.dirname(run.runDir));
        const query = `${file.slice(c.service.length + 1)}:${line}`;
        const who = spawnSync(
            "node",
            [path.join(REPO_ROOT, "bin", "cli", "main.js"), "who", query, "--stack", stack, "--report-dir", reportDir],
            { cwd: REPO_ROOT, encoding: "utf8" },
        );
        expect(who.stderr).toBe("");
        expect(who.stdout).toContain(`${file}:${line} ran in`);
        for (const context of contexts.filter((x) => x !== index.outside)) expect(who.stdout).toContain(context);
    });
});
