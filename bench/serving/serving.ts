// Benchmark: serving overhead, side by side. The same image unmeasured (`docker run`, the same env and command)
// and measured by coverage-spy (a real `pulumi up` of the component through the coverage-spy command, whose testCommand
// is the load), under the same bounded wrk load from the host (bench/serving/load.sh), interleaved round by round.
// Prints a Markdown section: requests per second and p50/p99 latency, cold and warm, per target and core.
//   npx tsc -p tsconfig.json && source scripts/pulumi-env.sh
//   node bin/bench/serving/serving.js [rounds] [seconds] [targets]
// rounds (5) and seconds per pass (5); targets: comma-separated names (all by default; see TARGETS).
// SERVING_CONNECTIONS (8) and SERVING_CONNECTION (close | keep-alive) change the load's shape.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackObjectName } from "../../components/shared/naming";
import { CoverageOptions, Service } from "../../components/options/args";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { REPO_ROOT, docker } from "../../test/integration/engine";
import { configure, destroyStack, runStack } from "../../test/integration/stackRun";
import { replacedServices, startUnmeasured } from "../unmeasuredServices";
import {
    LoadResult,
    PASSES,
    coreLabel,
    errorCount,
    fixed,
    formatSpread,
    markdownTable,
    pairedRatios,
    parseLoadResult,
    relativeSpread,
    sideOrder,
    spread,
} from "./stats";

const LOAD_SCRIPT = path.join(REPO_ROOT, "bench", "serving", "load.sh");
const PREFIX = `bench-serving-${process.pid}`;
/** The unmeasured side's network: containers are driven on their address there, as the measured ones on theirs. */
const BENCH_NETWORK = `${PREFIX}-net`;
const LABELS = ["coverage-spy.project=coverage-spy", `coverage-spy.bench=${PREFIX}`];
const UNMEASURED = "unmeasured";
/** Python 3.12+ keeps at least this share of the unmeasured throughput: the goal docs/performance.md states. */
const GOAL = 0.95;

/** One measured side of a target: the component with these coverage options. */
interface Variant {
    side: string;
    coverage?: CoverageOptions;
}

interface Target {
    name: string;
    /** The stack config its services come from (stacks/...). */
    stackFile: string;
    /** Replaces the image of the service under load. */
    image?: string;
    /** The service under load. */
    service: string;
    /** The endpoint under load: cheap, and through the app's own code. */
    path: string;
    /** Lines "METHOD PATH JSON" sent once before the passes. */
    setup?: string[];
    /** Plain environment per service, on both sides (the stack file's secrets stay encrypted and unused). */
    env?: Record<string, Record<string, string>>;
    variants: Variant[];
}

const MEASURED: Variant = { side: "measured" };
/** The demo's stack with saves every 5 s (the default, MEASURED), every second, and off. */
const SAVE_VARIANTS: Variant[] = [
    MEASURED,
    { side: "measured, saves every 1 s", coverage: { saveIntervalSeconds: 1 } },
    { side: "measured, saves off", coverage: { saveIntervalSeconds: 0 } },
];
const DJANGO_PASSWORD = "bench-serving-pw";

const TARGETS: Target[] = [
    {
        name: "demo-py313",
        stackFile: "Pulumi.dev.yaml",
        image: "coverage-spy/demo-app:latest",
        service: "demo",
        path: "/price?item=pen&qty=12",
        variants: SAVE_VARIANTS,
    },
    {
        name: "demo-py311",
        stackFile: "Pulumi.dev.yaml",
        image: "coverage-spy/demo-app:bookworm",
        service: "demo",
        path: "/price?item=pen&qty=12",
        variants: [MEASURED],
    },
    {
        name: "demo-py39",
        stackFile: "Pulumi.dev.yaml",
        image: "coverage-spy/demo-app:bullseye",
        service: "demo",
        path: "/price?item=pen&qty=12",
        variants: [MEASURED],
    },
    // uvicorn --workers 4: routing, an async endpoint, asyncio.to_thread, an SQLite read, JSON serialisation.
    {
        name: "fastapi",
        stackFile: "Pulumi.example-fastapi.yaml",
        service: "api",
        path: "/items/pen",
        variants: [MEASURED],
    },
    // gunicorn sync workers: an annotated ORM query against PostgreSQL over three seeded books.
    {
        name: "django",
        stackFile: "Pulumi.example-django.yaml",
        service: "web",
        path: "/api/books",
        setup: [
            ["Kindred", "Octavia E. Butler", "9780000000002"],
            ["Dawn", "Octavia E. Butler", "9780000000019"],
            ["The Dispossessed", "Ursula K. Le Guin", "9780000000026"],
        ].map(
            ([title, author, isbn]) =>
                `POST /api/books ${JSON.stringify({ title, author_name: author, isbn, copies: 2 })}`,
        ),
        env: {
            db: { POSTGRES_PASSWORD: DJANGO_PASSWORD },
            web: { DB_PASSWORD: DJANGO_PASSWORD, DJANGO_SECRET_KEY: "bench-serving-not-a-real-key" },
        },
        variants: [MEASURED],
    },
    // gunicorn -k gevent: Flask routing, three greenlets spawned and joined per request.
    {
        name: "flask-gevent",
        stackFile: "Pulumi.example-flask-gevent.yaml",
        service: "web",
        path: "/quotes?sources=alpha,beta,gamma&delay=0",
        variants: [MEASURED],
    },
];

// ---- small process helpers ------------------------------------------------------------------------------------

function log(message: string): void {
    process.stderr.write(`[serving] ${message}\n`);
}

function run(command: string, args: string[], options: { inherit?: boolean } = {}): string {
    const result = spawnSync(command, args, {
        encoding: "utf8",
        stdio: options.inherit ? ["ignore", 2, 2] : "pipe",
        maxBuffer: 16 * 1024 * 1024,
    });
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status}): ${result.stderr ?? ""}`.trim());
    }
    return (result.stdout ?? "").trim();
}

function shellQuote(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        log(`${signal}: stopping after the current step, then cleaning up (again to leave at once)`);
    });
}

/**
 * Throws once SIGINT or SIGTERM came. Everything else here is synchronous, so this yields to the event loop first:
 * a signal that arrived during a spawnSync is handled only there.
 */
async function checkInterrupted(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (interrupted) throw new Error("interrupted");
}

// ---- the two sides --------------------------------------------------------------------------------------------

/** The target's services from its stack config, with its image and plain environment. */
function targetServices(target: Target): Service[] {
    return replacedServices(target.stackFile, { service: target.service, image: target.image, env: target.env });
}

/** Where the load goes and for how long; the load script writes its JSON to `out`. */
interface LoadSpec {
    container: string;
    network: string;
    seconds: number;
    work: string;
    out: string;
}

/** bench/serving/load.sh and its arguments, the same on both sides. */
function loadCommand(target: Target, service: Service, spec: LoadSpec): string[] {
    const { container, network, seconds, work, out } = spec;
    const setup = target.setup ? path.join(work, `${target.name}.setup`) : "";
    if (setup) fs.writeFileSync(setup, `${target.setup!.join("\n")}\n`);
    return [
        "bash",
        LOAD_SCRIPT,
        container,
        network,
        String(service.ports?.[0]?.internal ?? 8000),
        service.readinessPath ?? "/",
        target.path,
        String(seconds),
        String(Number(process.env.SERVING_CONNECTIONS ?? "8")),
        process.env.SERVING_CONNECTION ?? "close",
        out,
        ...(setup ? [setup] : []),
    ];
}

/** One round of the unmeasured side: `docker run` of every service (same image, env, command), the load, removal. */
async function unmeasuredRound(
    target: Target,
    services: Service[],
    seconds: number,
    work: string,
    round: number,
): Promise<LoadResult> {
    const started: string[] = [];
    try {
        await startUnmeasured(
            services,
            { prefix: PREFIX, network: BENCH_NETWORK, labels: LABELS, checkInterrupted },
            started,
        );
        const service = services.find((s) => s.name === target.service)!;
        const out = path.join(work, `${target.name}-unmeasured-${round}.json`);
        const [bash, ...args] = loadCommand(target, service, {
            container: `${PREFIX}-${service.name}`,
            network: BENCH_NETWORK,
            seconds,
            work,
            out,
        });
        run(bash, args, { inherit: true });
        return parseLoadResult(fs.readFileSync(out, "utf8"));
    } finally {
        if (started.length > 0) spawnSync("docker", ["rm", "--force", ...started.reverse()], { stdio: "ignore" });
    }
}

/** Stacks configured and not destroyed yet. */
const liveStacks = new Set<string>();

/** One round of a measured side: a real `pulumi up` whose testCommand is the load; the core from its summary. */
function measuredRound(
    target: Target,
    variant: Variant,
    stack: string,
    services: Service[],
    seconds: number,
    work: string,
    round: number,
): { result: LoadResult; core: string; coveragePy: string } {
    const service = services.find((s) => s.name === target.service)!;
    const out = path.join(work, `${stack}-${round}.json`);
    const load = loadCommand(target, service, {
        container: stackObjectName(stack, service.name),
        network: stackObjectName(stack, "net"),
        seconds,
        work,
        out,
    });
    liveStacks.add(stack);
    configure({
        stack,
        service,
        testCommand: load.map(shellQuote).join(" "),
        coverage: variant.coverage,
        config: { services, failOnTestFailure: true },
    });
    const up = runStack("up", stack);
    if (up.status !== 0 || !up.outputs) {
        throw new Error(`pulumi up of ${stack} failed (exit ${up.status}):\n${up.output.slice(-4000)}`);
    }
    const summary = up.outputs.coverage as CoverageSummary;
    return {
        result: parseLoadResult(fs.readFileSync(out, "utf8")),
        core: coreLabel(summary.services[target.service]?.cores),
        coveragePy: summary.coveragePyVersion,
    };
}

// ---- results --------------------------------------------------------------------------------------------------

interface TargetResults {
    target: Target;
    python: string;
    /** Per side, per round (undefined: that run failed). */
    loads: Record<string, Array<LoadResult | undefined>>;
    cores: Record<string, Set<string>>;
}

function pythonVersion(image: string): string {
    return docker(
        "run",
        "--rm",
        ...LABELS.flatMap((label) => ["--label", label]),
        "--entrypoint",
        "python3",
        image,
        "-c",
        "import platform; print(platform.python_version())",
    );
}

function machine(): string {
    const nproc = run("nproc", []);
    const ram = (os.totalmem() / 2 ** 30).toFixed(0);
    const dockerVersion = docker("version", "--format", "{{.Server.Version}}");
    const storage = docker("info", "--format", "{{.Driver}}");
    const wrk = spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout.split("\n")[0].split(" [")[0];
    const load = os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(", ");
    return `${nproc} cores (nproc), ${ram} GiB RAM, Linux ${os.release()}; Docker ${dockerVersion} (${storage}); ${wrk}; load average at the start ${load}`;
}

/** 13 for "3.13.5"; 0 for anything else. */
function python3Minor(version: string): number {
    const match = /^3\.(\d+)/.exec(version);
    return match ? Number(match[1]) : 0;
}

function targetTable(results: TargetResults): { table: string; goals: string[]; errors: string[] } {
    const { target, python, loads } = results;
    const sides = [UNMEASURED, ...target.variants.map((v) => v.side)];
    const rows: string[][] = [];
    const goals: string[] = [];
    const errors: string[] = [];
    for (const pass of PASSES) {
        const rpsOf = (side: string) => loads[side].map((load) => load?.[pass].rps);
        for (const side of sides) {
            const passes = loads[side].filter((l): l is LoadResult => l !== undefined).map((l) => l[pass]);
            const rps = spread(passes.map((p) => p.rps));
            const ratios = spread(pairedRatios(rpsOf(side), rpsOf(UNMEASURED)));
            const failed = loads[side].length - passes.length;
            const wrkErrors = passes.reduce((sum, p) => sum + errorCount(p), 0);
            if (wrkErrors > 0) errors.push(`${target.name}, ${side}, ${pass}: ${wrkErrors} wrk errors`);
            if (failed > 0) errors.push(`${target.name}, ${side}: ${failed} of ${loads[side].length} runs failed`);
            rows.push([
                target.name,
                python,
                side === UNMEASURED ? "–" : [...(results.cores[side] ?? [])].join(" / ") || "?",
                pass,
                side,
                formatSpread(rps, 0),
                rps.count > 1 ? `${fixed(relativeSpread(rps), 0)} %` : "–",
                fixed(spread(passes.map((p) => p.p50_us / 1000)).median, 2),
                fixed(spread(passes.map((p) => p.p99_us / 1000)).median, 2),
                side === UNMEASURED ? "1" : formatSpread(ratios, 3),
            ]);
            if (side !== UNMEASURED && python3Minor(python) >= 12) {
                const verdict = ratios.median >= GOAL ? "meets" : "misses";
                goals.push(
                    `${target.name} ${side}, ${pass}: ${fixed(ratios.median, 3)} ${verdict} the goal of ${GOAL}`,
                );
            }
        }
    }
    const header = [
        "target",
        "Python",
        "core",
        "pass",
        "side",
        "rps median (min–max)",
        "spread",
        "p50 ms",
        "p99 ms",
        "rps measured / unmeasured, paired (min–max)",
    ];
    return { table: markdownTable(header, rows), goals, errors };
}

function report(
    all: TargetResults[],
    options: { rounds: number; seconds: number; command: string; machine: string; minutes: number; coveragePy: string },
): string {
    const connections = Number(process.env.SERVING_CONNECTIONS ?? "8");
    const mode = process.env.SERVING_CONNECTION ?? "close";
    const tables = all.map(targetTable);
    const lines = [
        `## Serving overhead, side by side (${new Date().toISOString().slice(0, 10)})`,
        "",
        `\`${options.command}\` (${options.minutes.toFixed(1)} min)`,
        "",
        `Machine: ${options.machine}. coverage.py ${options.coveragePy || "?"} (the summary's; Python 3.9 and 3.10 ` +
            `run the spy lib's legacy build).`,
        "",
        `Load: wrk on the host, 1 thread, ${connections} connections, ` +
            (mode === "close"
                ? "`Connection: close` (a new TCP connection per request)"
                : "keep-alive (connections reused)") +
            `, ${options.seconds} s per pass, on the container's address on its Docker network (no published port). ` +
            `Each round runs every side once, in the order unmeasured, measured... and reversed the next round; ` +
            `the unmeasured side is \`docker run --init\` of the same image with the same environment and command, ` +
            `the measured side a real \`pulumi up\` of the component whose testCommand is the load. ` +
            `cold: the first pass, right after the service answers its readiness path; warm: a second pass right ` +
            `after. ${options.rounds} round${options.rounds === 1 ? "" : "s"}: medians with (min–max); spread = (max − min) / median of the rps; ` +
            `the ratio is the median of the per-round measured / unmeasured rps.`,
        "",
        ...tables.flatMap((t) => [t.table, ""]),
    ];
    const goals = tables.flatMap((t) => t.goals);
    if (goals.length > 0) lines.push(`Goal (Python 3.12+, ≥ ${GOAL}):`, "", ...goals.map((g) => `- ${g}`), "");
    const errors = tables.flatMap((t) => t.errors);
    if (errors.length > 0) lines.push("Errors:", "", ...errors.map((e) => `- ${e}`), "");
    return lines.join("\n");
}

// ---- main -----------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
    const started = Date.now();
    const rounds = Number(process.argv[2] ?? "5");
    const seconds = Number(process.argv[3] ?? "5");
    const only = process.argv[4]?.split(",").filter(Boolean);
    if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(seconds) || seconds < 1) {
        throw new Error("usage: serving.js [rounds >= 1] [seconds >= 1] [target,...]");
    }
    const unknown = (only ?? []).filter((name) => !TARGETS.some((t) => t.name === name));
    if (unknown.length > 0) {
        throw new Error(`unknown target ${unknown.join(", ")}; targets: ${TARGETS.map((t) => t.name).join(", ")}`);
    }
    if (!process.env.PULUMI_BACKEND_URL) throw new Error("source scripts/pulumi-env.sh first");
    const targets = TARGETS.filter((t) => !only || only.includes(t.name));
    const command = ["node", "bin/bench/serving/serving.js", ...process.argv.slice(2)].join(" ");

    const lib = shellQuote(path.join(REPO_ROOT, "scripts", "lib.sh"));
    run("bash", ["-c", `source ${lib} && { command -v wrk >/dev/null || apt_install wrk; }`], {
        inherit: true,
    });
    for (const target of targets) {
        for (const service of targetServices(target)) {
            if (spawnSync("docker", ["image", "inspect", service.image as string], { stdio: "ignore" }).status !== 0) {
                throw new Error(`image ${service.image as string} is missing: bash scripts/images.sh --examples`);
            }
        }
    }
    const machineLine = machine();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-serving-"));
    const all: TargetResults[] = [];
    const failures: string[] = [];
    let coveragePy = "";
    docker("network", "create", ...LABELS.flatMap((label) => ["--label", label]), BENCH_NETWORK);
    try {
        for (const target of targets) {
            const services = targetServices(target);
            const image = services.find((s) => s.name === target.service)!.image as string;
            const results: TargetResults = { target, python: pythonVersion(image), loads: {}, cores: {} };
            all.push(results);
            const sides = [UNMEASURED, ...target.variants.map((v) => v.side)];
            const stackOf = (side: string) => `${PREFIX}-${target.name}-m${sides.indexOf(side)}`;
            for (const side of sides) results.loads[side] = Array<LoadResult | undefined>(rounds).fill(undefined);
            try {
                for (let round = 0; round < rounds; round++) {
                    for (const side of sideOrder(sides, round)) {
                        await checkInterrupted();
                        log(`${target.name} round ${round + 1}/${rounds}: ${side}`);
                        try {
                            if (side === UNMEASURED) {
                                results.loads[side][round] = await unmeasuredRound(
                                    target,
                                    services,
                                    seconds,
                                    work,
                                    round,
                                );
                            } else {
                                const variant = target.variants.find((v) => v.side === side)!;
                                const measured = measuredRound(
                                    target,
                                    variant,
                                    stackOf(side),
                                    services,
                                    seconds,
                                    work,
                                    round,
                                );
                                results.loads[side][round] = measured.result;
                                (results.cores[side] ??= new Set()).add(measured.core);
                                coveragePy = measured.coveragePy;
                            }
                            const load = results.loads[side][round]!;
                            log(`  rps cold ${load.cold.rps}, warm ${load.warm.rps}`);
                        } catch (err) {
                            await checkInterrupted();
                            failures.push(`${target.name} round ${round + 1} ${side}: ${(err as Error).message}`);
                            log(`  FAILED: ${(err as Error).message}`);
                        }
                    }
                }
            } finally {
                // This target's stacks go now: each holds a bridge network from Docker's limited pools.
                for (const side of sides.slice(1)) destroyLive(stackOf(side), failures);
            }
        }
    } finally {
        for (const stack of [...liveStacks]) destroyLive(stack, failures);
        const left = docker("ps", "--all", "--quiet", "--filter", `label=coverage-spy.bench=${PREFIX}`);
        if (left) spawnSync("docker", ["rm", "--force", ...left.split("\n")], { stdio: "ignore" });
        spawnSync("docker", ["network", "rm", BENCH_NETWORK], { stdio: "ignore" });
        fs.rmSync(work, { recursive: true, force: true });
    }
    process.stdout.write(
        report(all, {
            rounds,
            seconds,
            command,
            machine: machineLine,
            minutes: (Date.now() - started) / 60000,
            coveragePy,
        }),
    );
    if (failures.length > 0) {
        process.stdout.write(`\nFailed runs:\n\n${failures.map((f) => `- ${f.split("\n")[0]}`).join("\n")}\n`);
        for (const failure of failures) log(failure);
        return 1;
    }
    await new Promise((resolve) => setImmediate(resolve)); // a signal during the last step
    return interrupted ? 130 : 0;
}

/** Destroys a stack this run configured (and its config file and reports); a failure is recorded, not thrown. */
function destroyLive(stack: string, failures: string[]): void {
    if (!liveStacks.delete(stack)) return;
    log(`destroying ${stack}`);
    try {
        destroyStack(stack);
    } catch (err) {
        failures.push(`cleanup of ${stack}: ${(err as Error).message}`);
    }
}

main().then(
    (code) => (process.exitCode = code),
    (err: Error) => {
        log(`error: ${err.message}`);
        process.exitCode = interrupted ? 130 : 1;
    },
);
