// Per-test contexts on the project's kind cluster: the demo (3 workers, 2 replicas spread over the worker nodes) with
// perTestContexts on, by a real `pulumi up` of a program giving CoverageSpyStack a kubernetes provider, against the
// same program on the Docker engine: the line index (which test ran which line) must be the same.
import * as fs from "fs";
import * as path from "path";
import { ContextIndex } from "../../../cli/contexts/whoRan";
import { CoverageSummary } from "../../../components/summary/coverageSummary";
import { REPO_ROOT, spyBaseImage } from "../engine";
import { expectDemoLines } from "../freshProject";
import { CLUSTER_UP_MS, DEMO_SERVICE_SOURCE, UP_MS, prepareCluster, programFolder, run } from "./program";

const PROJECT = "itest-k8s-contexts";
const STACKS = { kind: `itest-k8sctx-kind-${process.pid}`, docker: `itest-k8sctx-docker-${process.pid}` };
type Engine = keyof typeof STACKS;
/** The demo's tests (examples/demo/tests). */
const DEMO_TESTS = 10;

/**
 * The program: the demo with perTestContexts, its suite through the runner's unittest entry; on the cluster the
 * provider reaches when COVERAGE_SPY_ITEST_ENGINE is "kind", else on the Docker engine.
 */
function program(): string {
    return `import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import { CoverageSpyStack } from ${JSON.stringify(path.join(REPO_ROOT, "components"))};

const onCluster = process.env.COVERAGE_SPY_ITEST_ENGINE === "kind";
const providers = onCluster
    ? [new k8s.Provider("kind", { kubeconfig: fs.readFileSync(process.env.KUBECONFIG!, "utf8") })]
    : [];
const stack = new CoverageSpyStack(
    "demo",
    {
        services: [
            ${DEMO_SERVICE_SOURCE},
        ],
        testCommand:
            'COVERAGE_SPY_DEMO_URL="$COVERAGE_SPY_APP_URL" python3 -m coverage_spy_runner unittest discover -s examples/demo/tests -v',
        testWorkingDir: ${JSON.stringify(REPO_ROOT)},
        testTimeoutSeconds: 300,
        spyBaseImage: ${JSON.stringify(spyBaseImage())},
        lostProcesses: "fail",
        perTestContexts: true,
        reportDir: process.env.COVERAGE_SPY_ITEST_REPORTS!,
    },
    { providers },
);
export const coverage = stack.coverage;
`;
}

let work: string;
let env: NodeJS.ProcessEnv;

function engineEnv(engine: Engine): NodeJS.ProcessEnv {
    return {
        ...env,
        COVERAGE_SPY_ITEST_ENGINE: engine,
        COVERAGE_SPY_ITEST_REPORTS: path.join(work, `reports-${engine}`),
    };
}

function pulumi(engine: Engine, args: string[]): string {
    return run("pulumi", [...args, "--non-interactive", "--stack", STACKS[engine]], engineEnv(engine), work);
}

function up(engine: Engine): CoverageSummary {
    pulumi(engine, ["up", "--yes", "--skip-preview"]);
    return (JSON.parse(pulumi(engine, ["stack", "output", "--json"])) as { coverage: CoverageSummary }).coverage;
}

beforeAll(() => {
    const { kubeconfig, env: clusterEnv } = prepareCluster();
    const clusterPath = clusterEnv.PATH;
    work = programFolder(PROJECT, program());
    env = {
        ...process.env,
        PATH: clusterPath,
        KUBECONFIG: kubeconfig,
        PULUMI_BACKEND_URL: `file://${path.join(work, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: "itest",
    };
    for (const engine of ["kind", "docker"] as const) pulumi(engine, ["stack", "init"]);
}, CLUSTER_UP_MS);

afterAll(() => {
    if (work === undefined) return;
    try {
        for (const engine of ["kind", "docker"] as const) pulumi(engine, ["destroy", "--yes", "--skip-preview"]);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}, 2 * UP_MS);

function indexOf(summary: CoverageSummary): ContextIndex {
    return JSON.parse(fs.readFileSync(summary.perTest!.index, "utf8")) as ContextIndex;
}

describe("per-test contexts on a Kubernetes cluster, against the Docker engine", () => {
    const summaries = {} as Record<Engine, CoverageSummary>;
    beforeAll(() => {
        summaries.kind = up("kind");
        summaries.docker = up("docker");
    }, 2 * UP_MS);

    it("passes the suite and measures the demo's lines on both engines", () => {
        for (const summary of Object.values(summaries)) {
            expect(summary.tests).toEqual(expect.objectContaining({ passed: DEMO_TESTS, failed: 0 }));
            expectDemoLines(summary);
        }
    });

    it("tells every process of both pods at every boundary, none failing", () => {
        const boundaries = summaries.kind.perTest!.boundaries;
        // One per test (its start carries the end of the test before) and the last test's end: the demo's tests are
        // of one class, so unittest runs no class fixture between them.
        expect(boundaries.count).toBe(DEMO_TESTS + 1);
        expect(boundaries.failed).toBe(0);
        // Two pods of a master and three workers each (Docker: one container of four).
        expect(boundaries.maxProcesses).toBe(8);
        expect(summaries.docker.perTest!.boundaries.maxProcesses).toBe(4);
        expect(summaries.kind.perTest!.parallel).toBe(false);
        expect(summaries.kind.warnings ?? []).toEqual([]);
        for (const [engine, summary] of Object.entries(summaries)) {
            const b = summary.perTest!.boundaries;
            console.log(
                `[${engine}] boundaries: median ${b.medianMs} ms, max ${b.maxMs} ms, ${b.maxProcesses} processes`,
            );
        }
    });

    it("gives each test exactly the lines it ran on the Docker engine: the line index is the same", () => {
        const kind = indexOf(summaries.kind);
        const docker = indexOf(summaries.docker);
        expect(Object.keys(summaries.kind.perTest!.tests).length).toBe(DEMO_TESTS);
        expect(kind.outside).toBe(docker.outside);
        expect(Object.keys(kind.files).sort()).toEqual(Object.keys(docker.files).sort());
        for (const file of Object.keys(docker.files))
            expect({ file, lines: kind.files[file] }).toEqual({ file, lines: docker.files[file] });
    });
});
