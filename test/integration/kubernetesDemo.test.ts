// The demo measured on the project's kind cluster by a real `pulumi up` of a program giving CoverageSpyStack a
// kubernetes provider: the suite passes, every line the demo's markers say is missed and no other (what the Docker
// engine measures), a second run starts from the first's scaled-down Deployment, and destroy leaves no namespace.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planSpyImage } from "../../components/engine/spyDelivery";
import { spyBuildCommand } from "../../components/engine/spyImage";
import { stackNamespace } from "../../components/engine/kubernetes/names";
import { CoverageSummary } from "../../components/summary/coverageSummary";
import { DEMO_IMAGE } from "./demoExpectations";
import { REPO_ROOT, spyBaseImage } from "./engine";
import { expectDemoLines } from "./freshProject";

const PROJECT = "itest-k8s-demo";
const STACK = `itest-k8s-${process.pid}`;
const NAMESPACE = stackNamespace(PROJECT, STACK);
const CLUSTER_UP_MS = 10 * 60 * 1000;
const UP_MS = 10 * 60 * 1000;

function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = REPO_ROOT): string {
    const result = spawnSync(program, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0)
        throw new Error(`${program} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
}

/** The program: the demo (stacks/Pulumi.dev.yaml's service, named app) on the cluster the provider reaches. */
function program(reportDir: string): string {
    return `import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import { CoverageSpyStack } from ${JSON.stringify(path.join(REPO_ROOT, "components"))};

const cluster = new k8s.Provider("kind", { kubeconfig: fs.readFileSync(process.env.KUBECONFIG!, "utf8") });
const stack = new CoverageSpyStack(
    "demo",
    {
        services: [
            {
                name: "app",
                image: ${JSON.stringify(DEMO_IMAGE)},
                sourcePath: "/app",
                ports: [{ internal: 8000 }],
                readinessPath: "/healthz",
                env: { DEMO_WORKERS: "3" },
                stopGraceSeconds: 20,
            },
        ],
        testCommand: 'COVERAGE_SPY_DEMO_URL="$COVERAGE_SPY_APP_URL" python3 -m unittest discover -s examples/demo/tests -v',
        testWorkingDir: ${JSON.stringify(REPO_ROOT)},
        testTimeoutSeconds: 300,
        spyBaseImage: ${JSON.stringify(spyBaseImage())},
        lostProcesses: "fail",
        reportDir: ${JSON.stringify(reportDir)},
    },
    { providers: [cluster] },
);
export const coverage = stack.coverage;
export const runId = stack.runId;
export const serviceUrls = stack.serviceUrls;
`;
}

interface Up {
    summary: CoverageSummary;
    runId: string;
    url: string;
}

let work: string;
let env: NodeJS.ProcessEnv;
let kubectl: string[];

function pulumi(args: string[]): string {
    return run("pulumi", [...args, "--non-interactive", "--stack", STACK], env, work);
}

function up(): Up {
    pulumi(["up", "--yes", "--skip-preview"]);
    const outputs = JSON.parse(pulumi(["stack", "output", "--json"])) as {
        coverage: CoverageSummary;
        runId: string;
        serviceUrls: Record<string, string>;
    };
    return { summary: outputs.coverage, runId: outputs.runId, url: outputs.serviceUrls.app };
}

beforeAll(() => {
    const kubeconfig = run("bash", ["scripts/k8s-cluster.sh", "up"]).trim().split("\n").pop() ?? "";
    const clusterPath = run("bash", ["-c", 'eval "$(bash scripts/k8s-cluster.sh env)" && printf %s "$PATH"']);
    // The spy image the component plans, built on this machine when missing, and the demo's, in every node.
    const spy = planSpyImage({ spyBaseImage: spyBaseImage(), assetsDir: path.join(REPO_ROOT, "coverage-spy") });
    run("sh", ["-c", spyBuildCommand(spy.image, spy.recipe!)]);
    for (const image of [spy.image, DEMO_IMAGE])
        run("bash", [
            "-c",
            'source scripts/k8s-env.sh && kind_run load docker-image --name "$K8S_CLUSTER" "$1"',
            "load",
            image,
        ]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-k8s-demo-"));
    fs.writeFileSync(path.join(work, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
    fs.writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: PROJECT, main: "index.ts" }));
    fs.writeFileSync(
        path.join(work, "tsconfig.json"),
        JSON.stringify({
            compilerOptions: {
                module: "commonjs",
                moduleResolution: "node",
                target: "ES2020",
                strict: true,
                types: ["node"],
            },
            files: ["index.ts"],
        }),
    );
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(work, "node_modules"));
    fs.writeFileSync(path.join(work, "index.ts"), program(path.join(work, "reports")));
    env = {
        ...process.env,
        PATH: clusterPath,
        KUBECONFIG: kubeconfig,
        PULUMI_BACKEND_URL: `file://${path.join(work, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: "itest",
    };
    fs.mkdirSync(path.join(work, ".state"));
    kubectl = [kubeconfig];
    pulumi(["stack", "init"]);
}, CLUSTER_UP_MS);

let destroyed = false;

afterAll(() => {
    if (work === undefined) return;
    try {
        if (!destroyed) pulumi(["destroy", "--yes", "--skip-preview"]);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}, UP_MS);

describe("the demo on a Kubernetes cluster, through the component", () => {
    let first: Up;
    let second: Up;
    beforeAll(() => {
        first = up();
        second = up();
    }, 2 * UP_MS);

    it("passes the suite and measures exactly the lines Docker does: every marked line missed, no other", () => {
        for (const run of [first, second]) {
            expect(run.summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0 }));
            expectDemoLines(run.summary);
        }
    });

    it("harvests every process of the pods: none lost or killed", () => {
        for (const run of [first, second]) {
            const service = run.summary.services.app;
            expect(run.summary.lostProcesses).toEqual([]);
            expect(run.summary.interruptedProcesses).toEqual([]);
            // Two pods, each a master and three workers: at least 8 processes, each its data file.
            expect(service.dataFiles).toBeGreaterThanOrEqual(8);
            expect(service.processes?.ended).toBe(service.dataFiles);
        }
        expect(second.runId).not.toBe(first.runId);
    });

    it("reaches the service on a node's address and NodePort, the same across runs", () => {
        expect(first.url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:3\d{4}$/);
        expect(second.url).toBe(first.url);
    });

    it("leaves the service's pods scaled to 0 after each run (the test run's graceful stop)", () => {
        const replicas = run(
            "kubectl",
            [
                "--kubeconfig",
                kubectl[0],
                "--namespace",
                NAMESPACE,
                "get",
                "deployment",
                "app",
                "-o",
                "jsonpath={.spec.replicas}",
            ],
            env,
        );
        expect(replicas).toBe("0");
    });

    it(
        "destroys the stack's namespace, and everything in it, with the stack",
        () => {
            pulumi(["destroy", "--yes", "--skip-preview"]);
            destroyed = true;
            const found = spawnSync(
                "kubectl",
                ["--kubeconfig", kubectl[0], "get", "namespace", NAMESPACE, "--ignore-not-found", "-o", "name"],
                { env, encoding: "utf8" },
            );
            expect([found.status, found.stdout.trim()]).toEqual([0, ""]);
        },
        UP_MS,
    );
});
