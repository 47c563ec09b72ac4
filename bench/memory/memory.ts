// Benchmark: the memory a measured process costs. The same services unmeasured (`docker run`, the same image,
// environment and command), measured by coverage-spy (a real `pulumi up`) and measured with per-test contexts, each
// warm after its example's own HTTP suite: the memory of every process of the service's container is read from
// /proc while the services are still up (bench/memory/processMemory.ts; on the measured sides it is the last step of
// the test command, before the graceful stop). Sides interleaved round by round, order alternating.
// Prints a Markdown section (medians with their range) on stdout, progress on stderr.
//
//   npx tsc -p tsconfig.json && source scripts/pulumi-env.sh && node bin/bench/memory/memory.js [rounds] [targets]
// rounds: 3; targets: comma-separated names of TARGETS (all by default). Stacks bench-memory-<side>-<target>-<pid>
// and the unmeasured side's containers and network are removed at the end, also after a failure.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Service } from "../../components/options/args";
import { serviceUrlEnvName, stackObjectName } from "../../components/shared/naming";
import { REPO_ROOT, docker } from "../../test/integration/engine";
import { configure, destroyStack, runStack } from "../../test/integration/stackRun";
import { median, medianRange } from "../median";
import { sideOrder } from "../serving/stats";
import { stackFileServices, stackFileTestCommand } from "../../test/integration/exampleStacks";
import { UnmeasuredStart, startUnmeasured, unmeasuredName } from "../unmeasuredServices";
import { ProcessMemory } from "./processMemory";

const PROBE = path.join(__dirname, "processMemory.js");
const PREFIX = `bench-memory-${process.pid}`;
const NETWORK = `${PREFIX}-net`;
const LABELS = ["coverage-spy.project=coverage-spy", `coverage-spy.bench=${PREFIX}`];

interface Target {
    name: string;
    /** The stack config its services and its suite (a `python3 -m unittest` command) come from. */
    stackFile: string;
    /** The service whose container is read. */
    service: string;
    /** What runs in it, for the table. */
    what: string;
}

const TARGETS: Target[] = [
    { name: "demo", stackFile: "Pulumi.dev.yaml", service: "demo", what: "http.server, a master and 3 forked workers" },
    {
        name: "fastapi",
        stackFile: "Pulumi.example-fastapi.yaml",
        service: "api",
        what: "uvicorn, a supervisor and 4 spawned workers",
    },
    {
        name: "flask-gevent",
        stackFile: "Pulumi.example-flask-gevent.yaml",
        service: "web",
        what: "gunicorn -k gevent, an arbiter and forked workers",
    },
];

const SIDES = ["unmeasured", "measured", "measured, per-test contexts"] as const;
type Side = (typeof SIDES)[number];

const log = (line: string) => process.stderr.write(`[bench-memory] ${line}\n`);

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** The suite with each test's start and end told to the relay: the runner's unittest entry, the suite unchanged. */
function withContexts(testCommand: string): string {
    const entry = "python3 -m unittest ";
    if (!testCommand.startsWith(entry)) throw new Error(`expected a \`${entry}...\` test command: ${testCommand}`);
    return `python3 -m coverage_spy_runner unittest ${testCommand.slice(entry.length)}`;
}

function readProbe(out: string): ProcessMemory[] {
    const processes = JSON.parse(fs.readFileSync(out, "utf8")) as ProcessMemory[];
    if (processes.length === 0) throw new Error(`no process read in ${out}`);
    return processes;
}

/** Waits until the service answers its readiness path with a status below 500, as the component's probe does. */
async function waitReady(url: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
            if (response.status < 500) return;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`${url} did not answer in 120 s`);
        await new Promise((resolve) => setTimeout(resolve, 300));
    }
}

/** The unmeasured side: `docker run` of the services, readiness, the suite from the host, the probe, removal. */
async function unmeasuredRound(target: Target, services: Service[], out: string): Promise<ProcessMemory[]> {
    const started: string[] = [];
    try {
        // Nothing here waits long enough to need a way out: an interrupted round ends with the process.
        const start: UnmeasuredStart = {
            prefix: PREFIX,
            network: NETWORK,
            labels: LABELS,
            checkInterrupted: () => Promise.resolve(),
        };
        await startUnmeasured(services, start, started);
        const service = services.find((s) => s.name === target.service)!;
        const container = unmeasuredName(start, service);
        const address = docker(
            "inspect",
            "-f",
            `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`,
            container,
        );
        const url = `http://${address}:${service.ports?.[0]?.internal ?? 8000}`;
        await waitReady(url + (service.readinessPath ?? "/"));
        const suite = spawnSync("bash", ["-c", stackFileTestCommand(target.stackFile)], {
            cwd: REPO_ROOT,
            env: { ...process.env, [serviceUrlEnvName(service.name)]: url },
            encoding: "utf8",
            timeout: 300_000,
        });
        if (suite.status !== 0) throw new Error(`the unmeasured suite of ${target.name} failed:\n${suite.stderr}`);
        const probe = spawnSync("node", [PROBE, container, out], { encoding: "utf8" });
        if (probe.status !== 0) throw new Error(`the probe failed: ${probe.stderr}`);
        return readProbe(out);
    } finally {
        if (started.length > 0) spawnSync("docker", ["rm", "--force", ...started.reverse()], { stdio: "ignore" });
    }
}

/** A measured side: a real `pulumi up` whose test command is the suite, then the probe while the services run. */
function measuredRound(target: Target, services: Service[], side: Side, stack: string, out: string): ProcessMemory[] {
    const service = services.find((s) => s.name === target.service)!;
    const contexts = side === "measured, per-test contexts";
    const suite = stackFileTestCommand(target.stackFile);
    const probe = ["node", PROBE, stackObjectName(stack, service.name), out].map(shellQuote).join(" ");
    configure({
        stack,
        service,
        testCommand: `${contexts ? withContexts(suite) : suite} && ${probe}`,
        config: { services, perTestContexts: contexts },
    });
    const up = runStack("up", stack);
    if (up.status !== 0)
        throw new Error(`pulumi up of ${stack} failed (exit ${up.status}):\n${up.output.slice(-4000)}`);
    return readProbe(out);
}

/** One side's reading: the container's processes, their memory summed, and the largest process's. */
interface Reading {
    processes: number;
    pssMb: number;
    ussMb: number;
    largestRssMb: number;
}

function reading(processes: ProcessMemory[]): Reading {
    const mb = (kb: number) => kb / 1024;
    return {
        processes: processes.length,
        pssMb: mb(processes.reduce((sum, p) => sum + p.pssKb, 0)),
        ussMb: mb(processes.reduce((sum, p) => sum + p.ussKb, 0)),
        largestRssMb: mb(Math.max(...processes.map((p) => p.rssKb))),
    };
}

const figure = (values: number[]) => medianRange(values, 1);

function table(target: Target, readings: Record<Side, Reading[]>): string[] {
    const base = median(readings.unmeasured.map((r) => r.pssMb));
    return [
        `#### ${target.name}: ${target.what}`,
        "",
        "| | processes | PSS, all processes, MB | private (USS), all, MB | largest process RSS, MB | PSS against unmeasured |",
        "| --- | --- | --- | --- | --- | --- |",
        ...SIDES.map((side) => {
            const rs = readings[side];
            const pss = median(rs.map((r) => r.pssMb));
            const added = side === "unmeasured" ? "" : `+${(pss - base).toFixed(1)} MB (${(pss / base).toFixed(2)}x)`;
            return `| ${side} | ${median(rs.map((r) => r.processes))} | ${figure(rs.map((r) => r.pssMb))} | ${figure(rs.map((r) => r.ussMb))} | ${figure(rs.map((r) => r.largestRssMb))} | ${added} |`;
        }),
        "",
    ];
}

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const names = process.argv[3]?.split(",");
    const targets = names ? TARGETS.filter((t) => names.includes(t.name)) : TARGETS;
    if (targets.length === 0)
        throw new Error(`no target named ${names?.join(", ")}: ${TARGETS.map((t) => t.name).join(", ")}`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-bench-memory-"));
    const stacks: string[] = [];
    const load = () => os.loadavg()[0].toFixed(1);
    const loadBefore = load();
    const sections: string[] = [];
    docker("network", "create", ...LABELS.flatMap((label) => ["--label", label]), NETWORK);
    try {
        for (const target of targets) {
            const services = stackFileServices(target.stackFile);
            const readings = Object.fromEntries(SIDES.map((side) => [side, [] as Reading[]])) as Record<
                Side,
                Reading[]
            >;
            for (let round = 0; round < rounds; round++) {
                for (const side of sideOrder(SIDES, round)) {
                    const out = path.join(work, `${target.name}-${round}-${SIDES.indexOf(side)}.json`);
                    const stack = `bench-memory-${SIDES.indexOf(side)}-${target.name}-${process.pid}`;
                    if (side !== "unmeasured" && !stacks.includes(stack)) stacks.push(stack);
                    const processes =
                        side === "unmeasured"
                            ? await unmeasuredRound(target, services, out)
                            : measuredRound(target, services, side, stack, out);
                    const r = reading(processes);
                    readings[side].push(r);
                    log(
                        `${target.name} round ${round + 1}, ${side}: ${r.processes} processes, PSS ${r.pssMb.toFixed(1)} MB, largest RSS ${r.largestRssMb.toFixed(1)} MB`,
                    );
                }
            }
            sections.push(...table(target, readings));
        }
    } finally {
        for (const stack of stacks) {
            try {
                destroyStack(stack);
            } catch (err) {
                log(`destroying ${stack} failed: ${(err as Error).message}`);
            }
        }
        spawnSync("docker", ["network", "rm", NETWORK], { stdio: "ignore" });
        fs.rmSync(work, { recursive: true, force: true });
    }
    console.log(
        [
            `### Memory of the measured processes, warm after the suite (\`node bin/bench/memory/memory.js ${rounds}\`)`,
            "",
            `Median (range) of ${rounds} rounds; load average ${loadBefore} before, ${load()} after.`,
            "",
            ...sections,
        ].join("\n"),
    );
}

main().catch((err: Error) => {
    log(err.stack ?? err.message);
    process.exit(1);
});
