// Benchmark: per-test contexts at scale, against the Django example (gunicorn's sync workers and PostgreSQL,
// stacks/Pulumi.example-django.yaml). A generated unittest suite of many tests, each a real HTTP request to the
// library service that runs different lines (list, detail, create, validation errors, 404, 405, HTML pages ...),
// through real `pulumi up`s with perTestContexts off (plain unittest) and on (the unittest entry of
// coverage-spy/runner), interleaved off, on, then on, off ... (the order reversed every other round). Reports, medians
// with their range:
//   - the suite's time (the test run's own measure, tests.durationMs) and what each test adds;
//   - the boundaries as the relay timed them (perTest.boundaries);
//   - the harvest (the engine's step of the harvester container), which with contexts also writes the contexts
//     into the HTML and JSON reports and the line index;
//   - the combined data file (total/.coverage) and the line index (total/contexts.json);
//   - `coverage html` with and without --show-contexts on the same combined data file, coverage.py alone (the one
//     of the spy lib, scripts/spy-lib.sh, on this machine), to tell coverage.py's own cost from ours;
//   - what a switch costs the service's next request in its own process, per core (bench/contexts/
//     django_switch_cost.py in the example's image, without Docker's network or the relay).
// Prints a Markdown section on stdout, progress on stderr.
//
//   source scripts/pulumi-env.sh && npx tsc -p tsconfig.json
//   node bin/bench/contexts/djangoScale.js [rounds] [tests] [options]
//     --core sysmon|ctrace|...   the measurement core on both sides (stack config coverage.core; default: auto)
//     --empty                    tests that make no request: what the boundaries alone cost, runner and relay
//     --baseline-runner DIR      a third side in the same rounds: contexts on, the suite run by the runner side in
//                                DIR (another checkout's coverage-spy/runner), to compare a change of the runner
// Defaults: 2 rounds, 2000 tests. Stacks bench-ctxscale-{off,on}-<pid>, destroyed at the end, also after a failure.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CORES, CoreChoice } from "../../components/options/choices";
import { REPORTS_DIR } from "../../components/shared/layout";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { ensureSpyLib } from "../../test/testEnvironment";
import { REPO_ROOT, docker } from "../../test/integration/engine";
import { copyExampleStack, exampleServices } from "../../test/integration/exampleStacks";
import { StackRun, destroyStack, runStack, stackRun } from "../../test/integration/stackRun";
import { HARVEST_STEP } from "../engineSteps";
import { median, medianRange as range } from "../median";

const log = (line: string) => process.stderr.write(`[bench-ctxscale] ${line}\n`);

/** Where the harvester writes the runs' reports and sources, as it sees them. */
const HARVESTER_RUNS = `${REPORTS_DIR}/runs`;

/** What one kind of test checks: its body in the generated class (helpers of examples/django/tests/test_library.py). */
const KINDS: Record<string, string> = {
    list_by_author: `status, body = get("/api/books?author=" + urllib.parse.quote(self.author))
        self.assertEqual((status, len(body["books"])), (200, 1))`,
    detail: `self.assertEqual(get("/api/books/%d" % self.book["id"]), (200, self.book))`,
    create: `status, created = add_book("Scale", "Scale author %d" % random.randrange(10**6), copies=1)
        self.assertEqual((status, created["available"]), (201, 1))`,
    invalid_book: `bad = {"title": "", "author_name": "X", "isbn": "123", "copies": 99}
        status, body = call("POST", "/api/books", bad)
        self.assertEqual((status, sorted(body["fields"])), (400, ["copies", "isbn", "title"]))`,
    duplicate_isbn: `again = {"title": "Copy", "author_name": "Someone", "isbn": self.book["isbn"], "copies": 1}
        self.assertEqual(call("POST", "/api/books", again)[0], 400)`,
    not_json: `self.assertEqual(call("POST", "/api/books", raw=b"{oops"), (400, {"error": "body is not JSON"}))`,
    not_found: `self.assertEqual(get("/api/books/999999")[0], 404)`,
    method_not_allowed: `self.assertEqual(call("DELETE", "/api/books")[0], 405)`,
    lend_without_borrower: `self.assertEqual(call("POST", "/api/books/%d/loans" % self.book["id"], {})[0], 400)`,
    return_unknown_loan: `self.assertEqual(call("POST", "/api/loans/999999/return")[0], 404)`,
    book_page: `self.assertIn('id="title"', page("/books/%d" % self.book["id"]))`,
    form_page: `self.assertIn("csrfmiddlewaretoken", page("/books/new"))`,
    health: `self.assertEqual(get("/healthz"), (200, {"ok": True}))`,
};

/**
 * A unittest module of `count` tests, the kinds in turn (or, `empty`, tests that do nothing); one book made before
 * them for those that read one.
 */
function writeSuite(dir: string, count: number, empty: boolean): void {
    const kinds = empty ? [["empty", "pass"]] : Object.entries(KINDS);
    const tests = Array.from({ length: count }, (_, i) => {
        const [kind, body] = kinds[i % kinds.length];
        return `    def test_${String(i).padStart(5, "0")}_${kind}(self):\n        ${body}\n`;
    });
    fs.writeFileSync(
        path.join(dir, "test_scale.py"),
        [
            '"""Generated by bench/contexts/djangoScale.ts: many tests, each one request to the Django example."""',
            "import random",
            "import sys",
            "import unittest",
            "import urllib.parse",
            "import urllib.request",
            "",
            `sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, "examples", "django"))})`,
            "from tests.test_library import BASE, TIMEOUT, add_book, call, get  # noqa: E402",
            "",
            "",
            "def page(path):",
            "    with urllib.request.urlopen(BASE + path, timeout=TIMEOUT) as response:",
            "        return response.read().decode()",
            "",
            "",
            "class ScaleTest(unittest.TestCase):",
            "    @classmethod",
            "    def setUpClass(cls):",
            '        cls.author = "Scale fixture %d" % random.randrange(10**9)',
            '        status, cls.book = add_book("Fixture", cls.author, copies=1)',
            "        assert status == 201, (status, cls.book)",
            "",
            ...tests,
        ].join("\n"),
    );
}

/** Milliseconds `coverage html` takes on a data file, coverage.py alone (the spy lib's), in a fresh process. */
function coverageHtmlMs(dataFile: string, out: string, showContexts: boolean): number {
    const lib = ensureSpyLib();
    fs.rmSync(out, { recursive: true, force: true });
    const args = [
        "-m",
        "coverage",
        "html",
        "--data-file",
        dataFile,
        "-d",
        out,
        ...(showContexts ? ["--show-contexts"] : []),
    ];
    const began = process.hrtime.bigint();
    // In the data file's folder: no project config (.coveragerc, setup.cfg ...) of this checkout applies.
    const html = spawnSync("python3", args, {
        cwd: path.dirname(dataFile),
        env: { ...process.env, PYTHONPATH: lib },
        encoding: "utf8",
    });
    const ms = Number(process.hrtime.bigint() - began) / 1e6;
    if (html.status !== 0)
        throw new Error(`coverage html failed (exit ${html.status}):\n${html.stdout}\n${html.stderr}`);
    return ms;
}

/**
 * The run's combined data file with its files at their host paths: the harvester records them under its own mount
 * (HARVESTER_RUNS/<runId>/sources), which `coverage html` here could not read. coverage.py's own `combine` with a
 * [paths] mapping makes the copy; lines and contexts stay as they are.
 */
function hostDataFile(run: StackRun, work: string): string {
    const lib = ensureSpyLib();
    const rcfile = path.join(work, "paths.rc");
    const mapped = path.join(work, "mapped.coverage");
    fs.writeFileSync(
        rcfile,
        `[paths]\nsource =\n    ${path.join(run.runDir, "sources")}/\n    ${HARVESTER_RUNS}/${run.runId}/sources/\n`,
    );
    fs.rmSync(mapped, { force: true });
    const combine = spawnSync(
        "python3",
        ["-m", "coverage", "combine", "--keep", "-q", "--rcfile", rcfile, "--data-file", mapped, totalDataFile(run)],
        { cwd: work, env: { ...process.env, PYTHONPATH: lib }, encoding: "utf8" },
    );
    if (combine.status !== 0)
        throw new Error(`coverage combine failed (exit ${combine.status}):\n${combine.stdout}\n${combine.stderr}`);
    return mapped;
}

/** The run's combined data file: every service's, as the total report reads it. */
function totalDataFile(run: StackRun): string {
    return path.join(run.runDir, "total", ".coverage");
}

/** Median ms of the probe's requests without and with a switch before each, per round. */
interface SwitchCost {
    core: string;
    rounds: Array<{ plain: number; switched: number }>;
}

/** bench/contexts/django_switch_cost.py in the web service's image, with the spy lib's coverage.py, per core. */
function switchCost(core: "sysmon" | "ctrace", rounds: number): SwitchCost {
    const lib = ensureSpyLib();
    const image = exampleServices("django").find((s) => s.name === "web")!.image as string;
    const probe = path.join(REPO_ROOT, "bench", "contexts", "django_switch_cost.py");
    const out = docker(
        ...["run", "--rm", "--label", `coverage-spy.stack=bench-ctxscale-probe-${process.pid}`],
        ...["-v", `${lib}:/opt/lib:ro`, "-v", `${probe}:/opt/probe.py:ro`, "-e", "PYTHONPATH=/opt/lib:/app"],
        // Settings the app requires; the probe's requests need no database.
        ...["-e", `COVERAGE_CORE=${core}`, "-e", "DJANGO_SECRET_KEY=probe", "-e", "DB_PASSWORD=probe"],
        ...["--entrypoint", "python3", image, "/opt/probe.py", String(rounds), "1000"],
    );
    return JSON.parse(out) as SwitchCost;
}

interface Sample {
    suiteMs: number;
    harvestMs: number;
    dataFileBytes: number;
    boundaryMedianMs?: number;
    boundaryMaxMs?: number;
    processes?: number;
    boundaries?: number;
    failed?: number;
    indexBytes?: number;
    /** `coverage html` on this run's combined data file, without and with --show-contexts. */
    htmlMs: number;
    htmlContextsMs?: number;
}

/** off, on, and on with the baseline runner (--baseline-runner). */
type Side = "off" | "on" | "baseline";

function measure(side: Side, run: StackRun, count: number, work: string): Sample {
    const summary: CoverageSummary = run.summary;
    if (summary.tests.passed !== count) throw new Error(`${side}: ${summary.tests.passed} of ${count} tests passed`);
    const harvestMs = run.phasesMs[HARVEST_STEP];
    if (harvestMs === undefined) throw new Error(`no step ${HARVEST_STEP} in ${Object.keys(run.phasesMs).join(", ")}`);
    const mapped = hostDataFile(run, work);
    const htmlOut = path.join(work, "html");
    const b = summary.perTest?.boundaries;
    return {
        suiteMs: summary.tests.durationMs,
        harvestMs,
        dataFileBytes: fs.statSync(totalDataFile(run)).size,
        boundaryMedianMs: b?.medianMs ?? undefined,
        boundaryMaxMs: b?.maxMs ?? undefined,
        processes: b?.maxProcesses,
        boundaries: b?.count,
        failed: b?.failed,
        indexBytes: summary.perTest ? fs.statSync(summary.perTest.index).size : undefined,
        htmlMs: coverageHtmlMs(mapped, htmlOut, false),
        htmlContextsMs: side === "on" ? coverageHtmlMs(mapped, htmlOut, true) : undefined,
    };
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

/** The Markdown section: `title` says what ran, `count` tests a run. */
function report(samples: Record<Side, Sample[]>, costs: SwitchCost[], title: string, count: number): string {
    const [off, on, baseline] = [samples.off, samples.on, samples.baseline];
    const of = (list: Sample[], f: (s: Sample) => number) => list.map(f);
    const perTest = on.map((s, i) => (s.suiteMs - off[i].suiteMs) / count);
    const harvestRatio = on.map((s, i) => s.harvestMs / off[i].harvestMs);
    const htmlRatio = on.map((s) => s.htmlContextsMs! / s.htmlMs);
    const met = (ok: boolean) => (ok ? "met" : "**not met**");
    return [
        `### ${title}`,
        "",
        "| | perTestContexts off | perTestContexts on | on/off per round |",
        "| --- | --- | --- | --- |",
        `| suite ms | ${range(of(off, (s) => s.suiteMs))} | ${range(of(on, (s) => s.suiteMs))} | ${range(
            on.map((s, i) => s.suiteMs / off[i].suiteMs),
            2,
        )} |`,
        `| suite ms per test | ${(median(of(off, (s) => s.suiteMs)) / count).toFixed(2)} | ${(
            median(of(on, (s) => s.suiteMs)) / count
        ).toFixed(2)} | |`,
        `| harvest ms (the \`${HARVEST_STEP}\` step) | ${range(of(off, (s) => s.harvestMs))} | ${range(
            of(on, (s) => s.harvestMs),
        )} | ${range(harvestRatio, 2)} |`,
        `| combined data file (total/.coverage), MB | ${range(
            of(off, (s) => +mb(s.dataFileBytes)),
            2,
        )} | ${range(
            of(on, (s) => +mb(s.dataFileBytes)),
            2,
        )} | |`,
        `| line index (total/contexts.json), MB | | ${range(
            of(on, (s) => +mb(s.indexBytes!)),
            2,
        )} | |`,
        `| \`coverage html\` on that run's data file, ms | ${range(of(off, (s) => s.htmlMs))} | ${range(
            of(on, (s) => s.htmlMs),
        )} | |`,
        `| \`coverage html --show-contexts\` on the same file, ms | | ${range(of(on, (s) => s.htmlContextsMs!))} | ${range(
            htmlRatio,
            2,
        )} (against the same file without) |`,
        "",
        `Added per test (its boundaries): ${range(perTest, 2)} ms; goal at most 2 ms: ${met(median(perTest) <= 2)}.` +
            ` Harvest on/off: ${range(harvestRatio, 2)}; goal at most 2x: ${met(median(harvestRatio) <= 2)}.`,
        ...(baseline.length
            ? [
                  `The baseline runner in the same rounds: ${range(
                      baseline.map((s, i) => (s.suiteMs - off[i].suiteMs) / count),
                      2,
                  )} ms added per test, ${range(of(baseline, (s) => s.boundaries!))} boundaries per run.`,
              ]
            : []),
        `Boundaries per run: ${range(of(on, (s) => s.boundaries!))}, each switching up to ${Math.max(
            ...of(on, (s) => s.processes!),
        )} processes, ${Math.max(...of(on, (s) => s.failed!))} unanswered; per boundary, as the relay timed it:` +
            ` median ${range(
                of(on, (s) => s.boundaryMedianMs!),
                2,
            )} ms, maximum ${range(
                of(on, (s) => s.boundaryMaxMs!),
                2,
            )} ms.`,
        "",
        "In the service's own process (`bench/contexts/django_switch_cost.py`: Django's test client, requests that need" +
            " no database, 1000 a round, median ms of a request with no switch and right after one):",
        "",
        ...costs.map(
            (c) =>
                `- ${c.core}: ${range(
                    c.rounds.map((r) => r.plain),
                    3,
                )} without, ${range(
                    c.rounds.map((r) => r.switched),
                    3,
                )} after a switch (+${range(
                    c.rounds.map((r) => r.switched - r.plain),
                    3,
                )}).`,
        ),
        "",
    ].join("\n");
}

interface Options {
    rounds: number;
    count: number;
    core?: CoreChoice;
    empty: boolean;
    /** --baseline-runner: another checkout's runner folder. */
    baselineRunner?: string;
}

const USAGE =
    "usage: djangoScale.js [rounds >= 1] [tests >= 1] [--core CORE] [--empty] [--baseline-runner DIR] (see its head)";

function parseArgs(argv: string[]): Options {
    const valued = ["--core", "--baseline-runner"];
    const positional = argv.filter((a, i) => !a.startsWith("--") && !valued.includes(argv[i - 1]));
    const options: Options = {
        rounds: Number(positional[0] ?? 2),
        count: Number(positional[1] ?? 2000),
        empty: argv.includes("--empty"),
    };
    const core = argv.indexOf("--core");
    if (core >= 0) {
        if (!CORES.includes(argv[core + 1] as CoreChoice)) throw new Error(`--core takes one of ${CORES.join(", ")}`);
        options.core = argv[core + 1] as CoreChoice;
    }
    const baseline = argv.indexOf("--baseline-runner");
    if (baseline >= 0) {
        const dir = argv[baseline + 1];
        if (!dir || !fs.existsSync(path.join(dir, "coverage_spy_runner.py")))
            throw new Error(`--baseline-runner takes a folder holding coverage_spy_runner.py, got ${dir}`);
        options.baselineRunner = path.resolve(dir);
    }
    const known = new Set([...valued, "--empty"]);
    if (!(options.rounds >= 1 && options.count >= 1) || argv.some((a) => a.startsWith("--") && !known.has(a)))
        throw new Error(USAGE);
    return options;
}

function main(argv: string[]): void {
    const { rounds, count, core, empty, baselineRunner } = parseArgs(argv);
    const began = Date.now();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-bench-ctxscale-"));
    const suiteDir = path.join(work, "suite");
    fs.mkdirSync(suiteDir);
    writeSuite(suiteDir, count, empty);
    const onCommand = `python3 -m coverage_spy_runner unittest discover -s '${suiteDir}'`;
    const commands: Record<Side, string> = {
        off: `python3 -m unittest discover -s '${suiteDir}'`,
        on: onCommand,
        // First on the path: the test run puts its own runner folder after the suite's PYTHONPATH.
        baseline: `PYTHONPATH='${baselineRunner}':"$PYTHONPATH" ${onCommand}`,
    };
    const sides: Side[] = baselineRunner ? ["off", "on", "baseline"] : ["off", "on"];
    const stacks: Record<Side, string> = {
        off: `bench-ctxscale-off-${process.pid}`,
        on: `bench-ctxscale-on-${process.pid}`,
        baseline: `bench-ctxscale-baseline-${process.pid}`,
    };
    const samples: Record<Side, Sample[]> = { off: [], on: [], baseline: [] };
    let costs: SwitchCost[] = [];
    // What failed: the rounds, then each stack's destroy (tried whether or not the rest failed).
    const failures: string[] = [];
    try {
        for (const side of sides)
            copyExampleStack("django", stacks[side], {
                "coverage-spy:testCommand": commands[side],
                "coverage-spy:testTimeoutSeconds": 1800,
                ...(side !== "off" ? { "coverage-spy:perTestContexts": true } : {}),
                ...(core ? { "coverage-spy:coverage": { core } } : {}),
            });
        for (let round = 1; round <= rounds; round++) {
            // The order reversed every other round: neither side always runs first after the other's load.
            for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
                const stack = stacks[side];
                const run = stackRun(
                    { stack, service: { name: "web", image: "" }, testCommand: "" },
                    runStack("up", stack),
                );
                const sample = measure(side, run, count, work);
                samples[side].push(sample);
                log(
                    `round ${round} ${side}: suite ${sample.suiteMs} ms, harvest ${sample.harvestMs} ms, ` +
                        `data ${mb(sample.dataFileBytes)} MB, html ${Math.round(sample.htmlMs)} ms` +
                        (sample.htmlContextsMs !== undefined
                            ? `, html with contexts ${Math.round(sample.htmlContextsMs)} ms, index ${mb(sample.indexBytes!)} MB, boundary median ${sample.boundaryMedianMs} ms`
                            : "") +
                        ` (${Math.round((Date.now() - began) / 1000)} s in)`,
                );
            }
        }
        costs = (["sysmon", "ctrace"] as const).map((c) => switchCost(c, 3));
    } catch (err) {
        failures.push((err as Error).message);
    }
    fs.rmSync(work, { recursive: true, force: true });
    for (const stack of sides.map((side) => stacks[side])) {
        try {
            destroyStack(stack);
        } catch (err) {
            failures.push((err as Error).message);
        }
    }
    if (failures.length) throw new Error(failures.join("\n\n"));
    const what = `${count} tests${empty ? " that make no request" : ""}${core ? `, core ${core}` : ""}`;
    const minutes = Math.round((Date.now() - began) / 60000);
    const title =
        `Per-test contexts at scale: ${what} against the Django example (${rounds} round(s), interleaved ${sides.join("/")},` +
        ` ${minutes} min; \`node bin/bench/contexts/djangoScale.js ${argv.join(" ")}\`)`;
    process.stdout.write(report(samples, costs, title, count));
}

main(process.argv.slice(2));
