// Benchmark: the demo's warm `pulumi up` on the local engine and on a second engine that cannot see this machine's
// folders (remoteEngine, scripts/second-engine.sh), interleaved local, remote, local, remote ... after one
// warm-up of each (the remote one fills its spy volume). With a second argument, a third side: the local engine
// driven from another checkout (e.g. the commit before remote support, built with its own bin/), to show that the
// local figures did not change. Prints a Markdown section (medians with their range) on stdout, progress on stderr.
//
//   source scripts/pulumi-env.sh && npx tsc -p tsconfig.json
//   node bin/bench/remote/remoteEngine.js [rounds] [checkout]
// Default: 5 rounds. Stacks bench-{local,remote,base}-<pid>, destroyed at the end, also after a failure.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "../../test/integration/demoExpectations";
import { devStackConfig, startSecondEngine } from "../../test/integration/engine";
import { StackInput, UpResult, demoService, destroyStack, upStack } from "../../test/integration/stackRun";
import { median } from "../median";

const log = (line: string) => process.stderr.write(`[bench-remote] ${line}\n`);
interface Side {
    label: string;
    up(): UpResult;
    destroy(): void;
}

/** A side run by this checkout's driver. */
function thisCheckout(label: string, input: StackInput): Side {
    return { label, up: () => upStack(input), destroy: () => destroyStack(input.stack) };
}

/** The local engine driven by another checkout's own driver (its bin/ built), with the demo's config. */
function otherCheckout(label: string, checkout: string, stack: string): Side {
    const config = path.join(checkout, "stacks", `Pulumi.${stack}.yaml`);
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), `coverage-spy-${stack}-`));
    const values = { ...devStackConfig(), "coverage-spy:reportDir": reports, "coverage-spy:testWorkingDir": checkout };
    fs.writeFileSync(config, stringify({ config: values }));
    const run = (action: string): UpResult => {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-run-"));
        const result = spawnSync(
            "node",
            [
                path.join(checkout, "bin", "scripts", "run-stack.js"),
                action,
                "--stack",
                stack,
                "--timings-file",
                path.join(work, "timings.json"),
            ],
            { cwd: checkout, encoding: "utf8", timeout: 15 * 60 * 1000, maxBuffer: 64 * 1024 * 1024 },
        );
        const timings = fs.existsSync(path.join(work, "timings.json"))
            ? (JSON.parse(fs.readFileSync(path.join(work, "timings.json"), "utf8")) as {
                  steps: Array<{ name: string; ms: number }>;
                  engineStartMs?: number;
              })
            : { steps: [], engineStartMs: undefined };
        fs.rmSync(work, { recursive: true, force: true });
        if (result.status !== 0) throw new Error(`${label}: ${action} failed:\n${result.stderr.slice(-3000)}`);
        return {
            status: result.status,
            output: "",
            // As stackRun's: a replaced resource's longest step.
            phasesMs: timings.steps.reduce<Record<string, number>>(
                (phases, s) => ({ ...phases, [s.name]: Math.max(phases[s.name] ?? 0, s.ms) }),
                {},
            ),
        };
    };
    return {
        label,
        up: () => run("up"),
        destroy: () => {
            run("destroy");
            fs.rmSync(config, { force: true });
            fs.rmSync(reports, { recursive: true, force: true });
        },
    };
}

interface Sample {
    wallMs: number;
    phasesMs: Record<string, number>;
}

const cell = (values: number[]) =>
    values.length === 0 ? "–" : `${Math.round(median(values))} (${Math.min(...values)}–${Math.max(...values)})`;

function main(): void {
    const rounds = Number(process.argv[2] ?? 5);
    const baseline = process.argv[3] ? path.resolve(process.argv[3]) : undefined;
    const second = startSecondEngine([DEMO_IMAGE, "coverage-spy/harvester:latest"]);
    const demo = { service: demoService(DEMO_IMAGE), testCommand: DEMO_TEST_COMMAND };
    const sides: Side[] = [
        thisCheckout("local engine", { stack: `bench-local-${process.pid}`, ...demo }),
        thisCheckout("second engine (remoteEngine)", {
            stack: `bench-remote-${process.pid}`,
            ...demo,
            config: { serviceHost: second.address },
            otherConfig: { "docker:host": second.host },
        }),
        ...(baseline
            ? [otherCheckout(`local engine, ${path.basename(baseline)}`, baseline, `bench-base-${process.pid}`)]
            : []),
    ];
    const samples = new Map<string, Sample[]>(sides.map((s) => [s.label, []]));
    const started = new Date();
    try {
        for (const side of sides) {
            log(`${side.label}: warm-up`);
            side.up();
        }
        for (let round = 1; round <= rounds; round++) {
            // A B C, then C B A: neither side always runs right after the other.
            const order = round % 2 === 1 ? sides : [...sides].reverse();
            for (const side of order) {
                const t = Date.now();
                const result = side.up();
                const wallMs = Date.now() - t;
                if (result.status !== 0) throw new Error(`${side.label}: up failed:\n${result.output.slice(-3000)}`);
                samples.get(side.label)!.push({ wallMs, phasesMs: result.phasesMs });
                log(`round ${round} ${side.label}: ${wallMs} ms`);
            }
        }
    } finally {
        for (const side of sides) side.destroy();
    }
    const step = (name: string) => (s: Sample) => s.phasesMs[`coverage-${name}`];
    const rows: Array<[string, (s: Sample) => number | undefined]> = [
        ["the whole up (driver, engine, every step), wall", (s) => s.wallMs],
        ["prepare (one shot)", step("prepare")],
        ["service start", step("demo")],
        ["test run (readiness, suite, graceful stop, source copy)", step("test-run")],
        ["harvest", step("harvester")],
        ["reports copied back (remote only)", step("reports-copy")],
    ];
    const out = [
        `### The demo on the local engine and on a second engine (\`node bin/bench/remote/remoteEngine.js ${rounds}${baseline ? " CHECKOUT" : ""}\`)`,
        `${started.toISOString().slice(0, 16).replace("T", " ")} UTC; ${os.cpus().length} cores, load average ${os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(
                " ",
            )} at the end; ${rounds} rounds after one warm-up each, interleaved (the order reversed every other round); milliseconds, median (range).`,
        "",
        `| phase | ${sides.map((s) => s.label).join(" | ")} |`,
        `| --- | ${sides.map(() => "---").join(" | ")} |`,
        ...rows.map(
            ([name, pick]) =>
                `| ${name} | ${sides
                    .map((s) =>
                        cell(
                            samples
                                .get(s.label)!
                                .map(pick)
                                .filter((v): v is number => v !== undefined),
                        ),
                    )
                    .join(" | ")} |`,
        ),
    ];
    process.stdout.write(`${out.join("\n")}\n`);
}

main();
