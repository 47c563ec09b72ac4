// Benchmark: how coverage-spy scales, with real `pulumi up`s of the component
// (test/integration/stackRun.ts, the same driver as npm run coverage), a fresh stack per up, a few rounds each:
//   - harvest time against the number of data files: a service (bench/scale/app) that starts N short-lived
//     measured Python subprocesses (N = 10, 100, 1000), each leaving one data file;
//   - a pre-forking service with many workers: the demo with DEMO_WORKERS=16 (and 3, the usual, beside it);
//   - a stack of several services: 8 copies of the demo (and 1 beside it), their suites run in parallel.
// Prints a Markdown section (medians with their range) on stdout, progress on stderr.
//
//   source scripts/pulumi-env.sh && npx tsc -p tsconfig.json && node bin/bench/scale/scale.js [rounds] [options]
//     --counts 10,100,1000      data files (subprocesses) per up, for the harvest curve
//     --parallel 4              subprocesses running at once in the scale service
//     --workers 3,16            DEMO_WORKERS of the workers case
//     --services 1,8            demo services in one stack
//     --suites parallel|serial  how the demo suites run against several services (default parallel)
//     --only files,workers,services   run only these cases
// Builds coverage-spy/bench-scale:latest FROM coverage-spy/base:trixie when it is missing or bench/scale/app changed.
// Stacks are named bench-scale-<pid>-..., and destroyed after each up, also after a failure or an interrupt.
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Service } from "../../components/options/args";
import { ServiceCoverage } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "../../test/integration/demoExpectations";
import { REPO_ROOT, docker, imageHasCoverage } from "../../test/integration/engine";
import { HARVEST_STEP, TEST_RUN_STEP } from "../engineSteps";
import { median } from "../median";
import {
    StackInput,
    StackRun,
    demoService,
    destroyStack,
    runStack,
    stackRun,
    upStackAsync,
} from "../../test/integration/stackRun";

const SCALE_IMAGE = "coverage-spy/bench-scale:latest";
const BASE_IMAGE = "coverage-spy/base:trixie";
const APP_DIR = path.join(REPO_ROOT, "bench", "scale", "app");
const HASH_LABEL = "coverage-spy.content-hash";

const log = (line: string) => process.stderr.write(`[bench-scale] ${line}\n`);

interface Options {
    rounds: number;
    counts: number[];
    parallel: number;
    workers: number[];
    services: number[];
    suites: "parallel" | "serial";
    only: Set<string>;
}

function parseArgs(argv: string[]): Options {
    const options: Options = {
        rounds: 3,
        counts: [10, 100, 1000],
        parallel: 4,
        workers: [3, 16],
        services: [1, 8],
        suites: "parallel",
        only: new Set(["files", "workers", "services"]),
    };
    const numbers = (flag: string, text: string | undefined): number[] => {
        const values = (text ?? "").split(",").map(Number);
        if (!text || values.some((v) => !Number.isInteger(v) || v < 1))
            throw new Error(`${flag} takes positive integers separated by commas, not ${text}`);
        return values;
    };
    for (let i = 0; i < argv.length; i++) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (/^\d+$/.test(flag)) {
            options.rounds = Number(flag);
            continue;
        }
        i++;
        if (flag === "--counts") options.counts = numbers(flag, value);
        else if (flag === "--parallel") options.parallel = numbers(flag, value)[0];
        else if (flag === "--workers") options.workers = numbers(flag, value);
        else if (flag === "--services") options.services = numbers(flag, value);
        else if (flag === "--suites" && (value === "parallel" || value === "serial")) options.suites = value;
        else if (flag === "--only" && value?.split(",").every((k) => ["files", "workers", "services"].includes(k)))
            options.only = new Set(value.split(","));
        else throw new Error(`unknown option ${flag} ${value ?? ""} (see the head of bench/scale/scale.ts)`);
    }
    if (options.rounds < 1) throw new Error("rounds must be at least 1");
    return options;
}

// --- the scale service's image ---

/** sha256 over the base image's ID and the names and contents of the app's files (as scripts/images.sh hashes). */
function appHash(): string {
    const hash = crypto
        .createHash("sha256")
        .update(`base=${BASE_IMAGE}@${docker("image", "inspect", "-f", "{{.Id}}", BASE_IMAGE)}\n`);
    const walk = (dir: string): string[] =>
        fs
            .readdirSync(dir, { withFileTypes: true })
            .filter((e) => e.name !== "__pycache__" && !e.name.endsWith(".pyc"))
            .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of walk(APP_DIR).sort())
        hash.update(`${path.relative(APP_DIR, file)}\n`).update(fs.readFileSync(file));
    return hash.digest("hex").slice(0, 16);
}

/** Builds the scale service's image when it is missing or its content changed. */
function ensureScaleImage(): void {
    const hash = appHash();
    const labels = spawnSync(
        "docker",
        ["image", "inspect", "-f", `{{index .Config.Labels "${HASH_LABEL}"}}`, SCALE_IMAGE],
        {
            encoding: "utf8",
        },
    );
    if (labels.status === 0 && labels.stdout.trim() === hash) {
        log(`${SCALE_IMAGE} is up to date (content hash ${hash})`);
        return;
    }
    log(`building ${SCALE_IMAGE} FROM ${BASE_IMAGE} (content hash ${hash})`);
    const build = spawnSync(
        "docker",
        [
            "build",
            "--build-arg",
            `BASE_IMAGE=${BASE_IMAGE}`,
            "--label",
            `${HASH_LABEL}=${hash}`,
            "--label",
            "coverage-spy.image=bench-scale",
            "-t",
            SCALE_IMAGE,
            APP_DIR,
        ],
        { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
    );
    if (build.status !== 0) throw new Error(`docker build of ${SCALE_IMAGE} failed:\n${build.stdout}\n${build.stderr}`);
    spawnSync("docker", ["image", "prune", "-f", "--filter", "label=coverage-spy.image=bench-scale"]);
    if (imageHasCoverage(SCALE_IMAGE))
        throw new Error(`${SCALE_IMAGE} imports coverage: it must not contain coverage.py`);
}

// --- the cases ---

/** One up's figures. */
interface Sample {
    [figure: string]: number;
}

interface Case {
    kind: "files" | "workers" | "services";
    /** N: data files asked for, workers, or services. */
    size: number;
    input(stack: string): StackInput;
    measure(run: StackRun, output: string): Sample;
}

const SCALE_SERVICE = "scale";

/**
 * The test run's "service NAME ready in N ms" lines (components/testRun/runner/readiness.ts), summed: the readiness
 * waits.
 */
function readinessMs(output: string): number {
    const waits = [...output.matchAll(/service \S+ ready in (\d+) ms/g)].map((m) => Number(m[1]));
    return waits.length ? waits.reduce((a, b) => a + b, 0) : NaN;
}

/** The figures every case has: the engine's steps, the suite, the harvest. */
function common(run: StackRun, output: string): Sample {
    const step = (name: string): number => {
        const ms = run.phasesMs[name];
        if (ms === undefined)
            throw new Error(`no step ${name} in the engine's timings: ${Object.keys(run.phasesMs).join(", ")}`);
        return ms;
    };
    const services = Object.values(run.summary.services);
    const stops = services.map((s) => s.stopMs ?? NaN);
    const testRun = step(TEST_RUN_STEP);
    const sum = (f: (s: ServiceCoverage) => number) => services.reduce((total, s) => total + f(s), 0);
    return {
        total: step("total"),
        testRun,
        suite: run.summary.tests.durationMs,
        stopMax: Math.max(...stops),
        // Readiness waits and the source copies: the test run's step less the suite and the (parallel) stops.
        readinessAndCopy: testRun - run.summary.tests.durationMs - Math.max(...stops),
        readiness: readinessMs(output),
        harvest: step(HARVEST_STEP),
        dataFiles: sum((s) => s.dataFiles),
        ended: sum((s) => s.processes?.ended ?? 0),
        interrupted: sum((s) => s.processes?.interrupted ?? 0),
        lost: sum((s) => s.processes?.lost ?? 0),
        passed: run.summary.tests.passed ?? NaN,
        failed: run.summary.tests.failed ?? NaN,
        percent: run.summary.totals.percent,
    };
}

function filesCase(count: number, parallel: number): Case {
    return {
        kind: "files",
        size: count,
        input: (stack) => ({
            stack,
            service: {
                name: SCALE_SERVICE,
                image: SCALE_IMAGE,
                sourcePath: "/app",
                hostSourcePath: APP_DIR,
                ports: [{ internal: 8000 }],
                readinessPath: "/healthz",
                stopGraceSeconds: 20,
            },
            testCommand: `python3 bench/scale/spawn.py ${count} ${parallel}`,
            lostProcesses: "warn",
            config: { testTimeoutSeconds: 1800 },
        }),
        measure: (run, output) => common(run, output),
    };
}

function workersCase(workers: number): Case {
    return {
        kind: "workers",
        size: workers,
        input: (stack) => {
            const service = demoService(DEMO_IMAGE);
            return {
                stack,
                service: { ...service, env: { ...service.env, DEMO_WORKERS: String(workers) } },
                testCommand: DEMO_TEST_COMMAND,
                lostProcesses: "warn",
            };
        },
        measure: (run, output) => {
            const demo = run.summary.services.demo;
            return { ...common(run, output), stop: demo.stopMs ?? NaN };
        },
    };
}

function servicesCase(count: number, suites: "parallel" | "serial"): Case {
    const services: Service[] = Array.from({ length: count }, (_, i) => ({
        ...demoService(DEMO_IMAGE),
        name: `demo${i + 1}`,
    }));
    return {
        kind: "services",
        size: count,
        input: (stack) => ({
            stack,
            service: services[0],
            testCommand: `bash bench/scale/demo_suites.sh ${count} ${suites}`,
            lostProcesses: "warn",
            config: { services },
        }),
        measure: (run, output) => {
            const stops = Object.values(run.summary.services).map((s) => s.stopMs ?? NaN);
            // The service containers' create steps, which the engine runs side by side.
            const starts = services.map((s) => run.phasesMs[`coverage-${s.name}`] ?? NaN);
            return {
                ...common(run, output),
                stopMedian: median(stops),
                serviceStartMax: Math.max(...starts),
                prepare: run.phasesMs["coverage-prepare"] ?? NaN,
            };
        },
    };
}

// --- statistics and output ---

/** "median (min–max)", or the one value. */
function spread(values: number[]): string {
    if (values.length === 0) return "–";
    const sorted = [...values].sort((a, b) => a - b);
    const m = median(values);
    const show = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
    return sorted[0] === sorted[sorted.length - 1]
        ? show(m)
        : `${show(m)} (${show(sorted[0])}–${show(sorted[sorted.length - 1])})`;
}

function table(header: string[], rows: string[][]): string {
    return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** A figure of every sample of one case. */
const figure = (samples: Sample[], name: string) => samples.map((s) => s[name]);

function filesSection(results: Map<number, Sample[]>): string {
    const counts = [...results.keys()].sort((a, b) => a - b);
    const harvest = (n: number) => median(figure(results.get(n)!, "harvest"));
    const rows = counts.map((n, i) => {
        const samples = results.get(n)!;
        const prev = counts[i - 1];
        const marginal = prev === undefined ? "–" : ((harvest(n) - harvest(prev)) / (n - prev)).toFixed(2);
        return [
            String(n),
            spread(figure(samples, "dataFiles")),
            spread(samples.map((s) => s.ended + s.interrupted + s.lost)),
            spread(figure(samples, "suite")),
            spread(samples.map((s) => s.suite / n)),
            spread(figure(samples, "stopMax")),
            spread(figure(samples, "harvest")),
            spread(samples.map((s) => s.harvest / s.dataFiles)),
            marginal,
        ];
    });
    const lines = [
        table(
            [
                "subprocesses N",
                "data files",
                "processes measured",
                "spawning them (suite)",
                "ms per subprocess",
                "graceful stop",
                "harvest (combine + reports)",
                "harvest ms per data file",
                `marginal ms per file (from the previous N)`,
            ],
            rows,
        ),
    ];
    if (counts.length >= 3) {
        const [a, b, c] = [counts[0], counts[counts.length - 2], counts[counts.length - 1]];
        const first = (harvest(b) - harvest(a)) / (b - a);
        const last = (harvest(c) - harvest(b)) / (c - b);
        // The spread of the two smaller harvests: a difference below it says nothing about the slope.
        const range = (n: number) =>
            Math.max(...figure(results.get(n)!, "harvest")) - Math.min(...figure(results.get(n)!, "harvest"));
        const noise = Math.max(range(a), range(b));
        const slopes = `${first.toFixed(2)} ms per file from ${a} to ${b}, ${last.toFixed(2)} ms per file from ${b} to ${c}`;
        let verdict: string;
        if (harvest(b) - harvest(a) <= noise || first <= 0)
            verdict =
                `the step from ${a} to ${b} files (${Math.round(harvest(b) - harvest(a))} ms) is within the spread ` +
                `of those harvests (${noise} ms), so the slopes cannot be compared; more rounds or a middle N would tell`;
        else if (last <= first * 2) verdict = "no faster than linear (the per-file cost does not grow with N)";
        else verdict = `faster than linear: each file costs ${(last / first).toFixed(1)} times more from ${b} on`;
        lines.push("", `Growth: ${slopes}: ${verdict}.`);
    }
    return lines.join("\n");
}

function workersSection(results: Map<number, Sample[]>): string {
    const rows = [...results.keys()]
        .sort((a, b) => a - b)
        .map((w) => {
            const samples = results.get(w)!;
            return [
                String(w),
                spread(samples.map((s) => s.ended + s.interrupted + s.lost)),
                spread(figure(samples, "dataFiles")),
                spread(figure(samples, "lost")),
                spread(figure(samples, "interrupted")),
                spread(figure(samples, "readiness")),
                spread(figure(samples, "suite")),
                spread(figure(samples, "stop")),
                spread(figure(samples, "harvest")),
                spread(figure(samples, "total")),
            ];
        });
    return table(
        [
            "DEMO_WORKERS",
            "processes measured",
            "data files",
            "lost",
            "interrupted",
            "readiness wait",
            "test suite",
            "graceful stop",
            "harvest",
            "whole update",
        ],
        rows,
    );
}

function servicesSection(results: Map<number, Sample[]>): string {
    const rows = [...results.keys()]
        .sort((a, b) => a - b)
        .map((n) => {
            const samples = results.get(n)!;
            return [
                String(n),
                spread(figure(samples, "serviceStartMax")),
                spread(figure(samples, "testRun")),
                spread(figure(samples, "readiness")),
                spread(figure(samples, "readinessAndCopy")),
                spread(figure(samples, "suite")),
                spread(figure(samples, "stopMedian")),
                spread(figure(samples, "stopMax")),
                spread(figure(samples, "harvest")),
                spread(figure(samples, "total")),
                `${spread(figure(samples, "dataFiles"))} / ${spread(samples.map((s) => s.ended + s.interrupted + s.lost))}`,
                `${spread(figure(samples, "passed"))} / ${spread(figure(samples, "failed"))}`,
            ];
        });
    return table(
        [
            "services",
            "service start (slowest step)",
            "test-run step",
            "readiness waits",
            "readiness + source copy",
            "suites",
            "stop (median service)",
            "stop (slowest)",
            "harvest",
            "whole update",
            "data files / processes",
            "tests passed / failed",
        ],
        rows,
    );
}

function machine(argv: string[]): string {
    const dockerVersion = (() => {
        try {
            return docker("version", "--format", "{{.Server.Version}}");
        } catch {
            return "unknown";
        }
    })();
    return [
        `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${os.cpus().length} cores (nproc), ` +
            `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, load average at the start ${os
                .loadavg()
                .map((l) => l.toFixed(2))
                .join(" ")}; Docker ${dockerVersion}.`,
        `Command: \`node bin/bench/scale/scale.js ${argv.join(" ")}\` (after \`source scripts/pulumi-env.sh\`).`,
    ].join("\n");
}

// --- the run ---

/** Set by SIGINT or SIGTERM: the up under way ends (a terminal's Ctrl-C reaches it too), its stack is destroyed. */
let stopping: NodeJS.Signals | undefined;

/** Stacks whose destroy failed (a Ctrl-C reaches the destroy too): destroyed again before the driver leaves. */
const undestroyed: string[] = [];

/** destroyStack, remembering the stack when it fails (it has already forgotten it then). */
function destroy(stack: string, cleanup: () => void = () => destroyStack(stack)): void {
    try {
        cleanup();
    } catch (err) {
        log(`destroying ${stack} failed, retried at the end: ${(err as Error).message.split("\n")[0]}`);
        undestroyed.push(stack);
    }
}

/** Destroys the stacks whose destroy failed once more; the ones still left, with the command that removes them. */
function destroyLeftovers(): string[] {
    return undestroyed.splice(0).flatMap((stack) => {
        const again = runStack("destroy", stack);
        return again.status === 0 ? [] : [`${stack} (remove it with: npm run coverage:destroy -- --stack ${stack})`];
    });
}

/**
 * measureService of test/integration/stackRun.ts, with the up in the background so a signal is seen while it runs:
 * a failed up destroys its stack before it throws.
 */
async function measure(input: StackInput): Promise<{ run: StackRun; output: string }> {
    const up = await upStackAsync(input);
    try {
        return { run: stackRun(input, up), output: up.output };
    } catch (err) {
        destroy(input.stack);
        throw err;
    }
}

async function runCase(c: Case, stack: string): Promise<Sample> {
    const started = Date.now();
    const { run, output } = await measure(c.input(stack));
    try {
        const sample = c.measure(run, output);
        log(`${stack}: ${JSON.stringify(sample)} (${Math.round((Date.now() - started) / 1000)} s up)`);
        return sample;
    } finally {
        destroy(stack, () => run.cleanup());
    }
}

/** Lets a signal that came during a synchronous destroy reach its handler before the next up starts. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

async function main(): Promise<void> {
    const argv = process.argv.slice(2);
    const options = parseArgs(argv);
    if (!process.env.PULUMI_BACKEND_URL) throw new Error("source scripts/pulumi-env.sh first");
    const cases: Case[] = [];
    if (options.only.has("files")) cases.push(...options.counts.map((n) => filesCase(n, options.parallel)));
    if (options.only.has("workers")) cases.push(...options.workers.map(workersCase));
    if (options.only.has("services")) cases.push(...options.services.map((n) => servicesCase(n, options.suites)));
    if (cases.length === 0) throw new Error("no case to run (--only files,workers,services)");
    if (options.only.has("files")) ensureScaleImage();
    const header = machine(argv);
    const results = new Map<string, Map<number, Sample[]>>();
    const failures: string[] = [];
    const began = Date.now();
    // Round by round, every case once: the machine's noise falls on all of them alike.
    for (let round = 1; round <= options.rounds && !stopping; round++) {
        for (const c of cases) {
            await settle();
            if (stopping) break;
            const stack = `bench-scale-${process.pid}-${c.kind}${c.size}-r${round}`;
            try {
                const sample = await runCase(c, stack);
                const byKind = results.get(c.kind) ?? new Map<number, Sample[]>();
                byKind.set(c.size, [...(byKind.get(c.size) ?? []), sample]);
                results.set(c.kind, byKind);
            } catch (err) {
                // One failed up is reported and the others still run: their figures are worth having.
                const message = (err as Error).message;
                log(`${stack} failed: ${message}`);
                failures.push(`${stack}: ${message.split("\n")[0]}`);
            }
        }
        log(`round ${round} of ${options.rounds} done after ${Math.round((Date.now() - began) / 1000)} s`);
    }
    const left = destroyLeftovers();
    if (stopping) {
        const what = left.length ? `stacks left: ${left.join("; ")}` : "every stack it started is destroyed";
        throw new Error(`stopped by ${stopping}; ${what}`);
    }
    const sections = [
        `## Scale (\`bench/scale/scale.ts\`, ${options.rounds} round(s), milliseconds: median (range))`,
        header,
        `All ${Math.round((Date.now() - began) / 1000)} s. Every up is a fresh stack (volume, network, services, ` +
            "test run, harvest), destroyed after it.",
    ];
    const files = results.get("files");
    if (files)
        sections.push(
            `### Harvest time against data files`,
            `The scale service (bench/scale/app, Python 3.13) starts N short-lived measured subprocesses, ` +
                `${options.parallel} at a time, on one request of the test command; each leaves a data file, the server one more. ` +
                `"harvest" is the engine's step of the harvester container (\`${HARVEST_STEP}\`): container start, ` +
                `reading the records, combine, every report format for the service and the total.`,
            filesSection(files),
        );
    const workers = results.get("workers");
    if (workers)
        sections.push(
            `### A pre-forking service with many workers`,
            "The demo (master, DEMO_WORKERS forked workers, 2 subprocesses) and its 10 HTTP tests. A worker that " +
                "served no request still saves a data file: it has the master's lines from before the fork.",
            workersSection(workers),
        );
    const services = results.get("services");
    if (services)
        sections.push(
            `### Several services in one stack`,
            `Copies of the demo (demo1..demoN, 3 workers each), the demo suite against each (${options.suites === "parallel" ? "all suites at once" : "one suite after the other"}, \`bench/scale/demo_suites.sh\`). ` +
                "Readiness waits: the test run's own figures (one service after the other, summed); readiness + source copy: " +
                "the test-run step less the suites and the slowest stop (the stops run in parallel).",
            servicesSection(services),
        );
    failures.push(...left.map((l) => `stack left: ${l}`));
    if (failures.length) sections.push("### Failures", failures.map((f) => `- ${f}`).join("\n"));
    process.stdout.write(`${sections.join("\n\n")}\n`);
    if (failures.length) throw new Error(`${failures.length} up(s) failed (listed above)`);
}

function interrupted(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = signal;
    log(`${signal}: the up under way ends, then its stack is destroyed`);
}
process.on("SIGINT", interrupted);
process.on("SIGTERM", interrupted);

main().catch((err: Error) => {
    log(err.stack ?? String(err));
    process.exitCode = 1;
});
