// Benchmark: the demo's warm `pulumi up` on the project's kind cluster against the same program on the Docker engine,
// interleaved (Docker, cluster, then cluster, Docker, ...) after one warm-up of each. Both sides are the program
// test/integration/kubernetes/demo.test.ts writes (the demo, 2 replicas on the cluster), each in its own folder with
// its own file backend; the cluster side only adds the `k8s.Provider` to the component's providers. Prints a Markdown
// section (medians with their range, each round's figures, the load average at the start and the end) on stdout,
// progress on stderr.
//
//   source scripts/pulumi-env.sh && eval "$(bash scripts/k8s-cluster.sh env)" && npx tsc -p tsconfig.json
//   node bin/bench/kubernetes/warmInterleaved.js [rounds]
// Default: 7 rounds. Stacks bench-{docker,k8s}-<pid>, destroyed at the end, also after a failure or Ctrl-C.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planSpyImage } from "../../components/engine/spyDelivery";
import { spyBuildCommand } from "../../components/engine/spyImage";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE } from "../../test/integration/demoExpectations";
import { REPO_ROOT, spyBaseImage } from "../../test/integration/engine";
import { DEMO_SERVICE_SOURCE, programFolder } from "../../test/integration/kubernetes/program";
import { median } from "../median";

const PROJECT = "bench-k8s-demo";
const log = (line: string) => process.stderr.write(`[bench-k8s] ${line}\n`);

function run(program: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
    const result = spawnSync(program, args, {
        cwd: options.cwd ?? REPO_ROOT,
        env: options.env ?? process.env,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0)
        throw new Error(`${program} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
}

/** The demo program of test/integration/kubernetes/demo.test.ts; `onCluster` gives the component the provider. */
function program(reportDir: string, onCluster: boolean): string {
    return `import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import { CoverageSpyStack } from ${JSON.stringify(path.join(REPO_ROOT, "components"))};

const providers = ${onCluster}
    ? [new k8s.Provider("kind", { kubeconfig: fs.readFileSync(process.env.KUBECONFIG!, "utf8") })]
    : [];
const stack = new CoverageSpyStack(
    "demo",
    {
        services: [
            ${DEMO_SERVICE_SOURCE},
        ],
        testCommand: 'COVERAGE_SPY_DEMO_URL="$COVERAGE_SPY_APP_URL" python3 -m unittest discover -s examples/demo/tests -v',
        testWorkingDir: ${JSON.stringify(REPO_ROOT)},
        testTimeoutSeconds: 300,
        spyBaseImage: ${JSON.stringify(spyBaseImage())},
        lostProcesses: "fail",
        reportDir: ${JSON.stringify(reportDir)},
    },
    { providers },
);
export const coverage = stack.coverage;
`;
}

interface Side {
    label: string;
    stack: string;
    work: string;
    env: NodeJS.ProcessEnv;
    initialised: boolean;
}

/** A folder holding the program, its own file backend and a node_modules link to this checkout's. */
function makeSide(label: string, stack: string, onCluster: boolean): Side {
    const work = programFolder(PROJECT, "");
    fs.writeFileSync(path.join(work, "index.ts"), program(path.join(work, "reports"), onCluster));
    const env = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${path.join(work, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: "bench",
    };
    return { label, stack, work, env, initialised: false };
}

function pulumi(side: Side, args: string[]): string {
    return run("pulumi", [...args, "--non-interactive", "--stack", side.stack], { env: side.env, cwd: side.work });
}

/** One `pulumi up`; its wall milliseconds, after checking the suite passed. */
function up(side: Side): number {
    const started = Date.now();
    pulumi(side, ["up", "--yes", "--skip-preview"]);
    const wallMs = Date.now() - started;
    const { coverage } = JSON.parse(pulumi(side, ["stack", "output", "--json"])) as { coverage: CoverageSummary };
    if (coverage.tests.passed !== 10 || coverage.tests.failed !== 0)
        throw new Error(`${side.label}: the demo's suite did not pass: ${JSON.stringify(coverage.tests)}`);
    return wallMs;
}

/** The spy image the component plans and the demo's, loaded into every node of the kind cluster. */
function loadImagesIntoCluster(): void {
    const spy = planSpyImage({ spyBaseImage: spyBaseImage(), assetsDir: path.join(REPO_ROOT, "coverage-spy") });
    run("sh", ["-c", spyBuildCommand(spy.image, spy.recipe!)]);
    for (const image of [spy.image, DEMO_IMAGE])
        run("bash", [
            "-c",
            'source scripts/k8s-env.sh && kind_run load docker-image --name "$K8S_CLUSTER" "$1"',
            "load",
            image,
        ]);
}

function destroy(side: Side): void {
    try {
        if (side.initialised) pulumi(side, ["destroy", "--yes", "--skip-preview"]);
        fs.rmSync(side.work, { recursive: true, force: true });
    } catch (error) {
        log(`${side.label}: destroy failed, its folder ${side.work} is kept: ${String(error)}`);
    }
}

const load = () =>
    os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ");
const cell = (values: number[]) => `${Math.round(median(values))} (${Math.min(...values)}–${Math.max(...values)})`;

function main(): void {
    const rounds = Number(process.argv[2] ?? 7);
    if (!process.env.KUBECONFIG) throw new Error('KUBECONFIG is not set: eval "$(bash scripts/k8s-cluster.sh env)"');
    // A signal ends the running pulumi; the loop then throws and the stacks are destroyed below.
    let interrupted = false;
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (interrupted = true));
    const loadAtStart = load();
    const started = new Date();
    const sides = [
        makeSide("Docker engine", `bench-docker-${process.pid}`, false),
        makeSide("kind cluster (2 replicas)", `bench-k8s-${process.pid}`, true),
    ];
    const samples = new Map<string, number[]>(sides.map((s) => [s.label, []]));
    try {
        log("loading the images into the cluster's nodes");
        loadImagesIntoCluster();
        for (const side of sides) {
            pulumi(side, ["stack", "init"]);
            side.initialised = true;
            log(`${side.label}: warm-up ${up(side)} ms`);
        }
        for (let round = 1; round <= rounds; round++) {
            const order = round % 2 === 1 ? sides : [...sides].reverse();
            for (const side of order) {
                if (interrupted) throw new Error("interrupted");
                const wallMs = up(side);
                samples.get(side.label)!.push(wallMs);
                log(`round ${round} ${side.label}: ${wallMs} ms (load ${load()})`);
            }
        }
    } finally {
        for (const side of sides) destroy(side);
    }
    const [docker, cluster] = sides.map((s) => samples.get(s.label)!);
    const ratios = docker.map((d, i) => cluster[i] / d);
    const out = [
        `### The demo's warm \`pulumi up\`: kind cluster against Docker engine (\`node bin/bench/kubernetes/warmInterleaved.js ${rounds}\`)`,
        `${started.toISOString().slice(0, 16).replace("T", " ")} UTC; ${os.cpus().length} cores (nproc), ${Math.round(
            os.totalmem() / 2 ** 30,
        )} GiB; load average ${loadAtStart} at the start, ${load()} at the end; ${rounds} rounds after one warm-up each, interleaved (the order reversed every other round); \`pulumi up --yes --skip-preview\`, wall milliseconds, median (range).`,
        "",
        `| | ${sides.map((s) => s.label).join(" | ")} | cluster / Docker |`,
        "| --- | --- | --- | --- |",
        `| warm up | ${cell(docker)} | ${cell(cluster)} | ${(median(cluster) / median(docker)).toFixed(2)} (medians); per round ${ratios.map((r) => r.toFixed(2)).join(", ")} |`,
        "",
        `Rounds (ms), Docker: ${docker.join(", ")}; cluster: ${cluster.join(", ")}.`,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
}

main();
