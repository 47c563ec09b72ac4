// The demo on the project's kind cluster chosen by stack config alone, as `npx coverage-spy up`, Python and YAML
// programs choose it: the package's own program (coverageStackProgram) with `<project>:kubernetes` holding the
// kubeconfig's text (a secret), its context and a namespace, and this machine's KUBECONFIG naming no file, so the
// provider and every kubectl reach the cluster through the config only.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify as yamlText } from "yaml";
import { CoverageSummary } from "../../../components/summary/coverageSummary";
import { REPO_ROOT, spyBaseImage } from "../engine";
import { expectDemoLines } from "../freshProject";
import { CLUSTER_UP_MS, DEMO_SERVICE, UP_MS, prepareCluster, programFolder, run } from "./program";

const PROJECT = "itest-k8s-config";
const STACK = `itest-k8s-config-${process.pid}`;
const NAMESPACE = `itest-k8s-config-${process.pid}`;
const CONTEXT = "kind-coverage-spy";

/** The package's stack-config program, as the repository's index.ts is. */
const PROGRAM = `import { coverageStackProgram } from ${JSON.stringify(path.join(REPO_ROOT, "components"))};

const outputs = coverageStackProgram(__dirname);
export const coverage = outputs.coverage;
export const runId = outputs.runId;
export const reportDir = outputs.reportDir;
export const serviceUrls = outputs.serviceUrls;
`;

/** The stack's config: the demo (stacks/Pulumi.dev.yaml's service, named app), the cluster's context and namespace. */
function stackConfig(reportDir: string): string {
    const key = (option: string) => `${PROJECT}:${option}`;
    return yamlText({
        config: {
            [key("services")]: [DEMO_SERVICE],
            [key("testCommand")]:
                'COVERAGE_SPY_DEMO_URL="$COVERAGE_SPY_APP_URL" python3 -m unittest discover -s examples/demo/tests -v',
            [key("testWorkingDir")]: REPO_ROOT,
            [key("testTimeoutSeconds")]: 300,
            [key("spyBaseImage")]: spyBaseImage(),
            [key("lostProcesses")]: "fail",
            [key("reportDir")]: reportDir,
            // The data claim and the shippers as a team sizes them (the class named is the project cluster's default).
            [key("kubernetes")]: {
                context: CONTEXT,
                namespace: NAMESPACE,
                dataClaimSize: "256Mi",
                storageClass: "standard",
                shipIntervalSeconds: 2,
            },
        },
    });
}

let work: string;
let env: NodeJS.ProcessEnv;
/** kubectl on the cluster, for the test's own checks. */
let kubectlEnv: NodeJS.ProcessEnv;

function pulumi(args: string[]): string {
    return run("pulumi", [...args, "--non-interactive", "--stack", STACK], env, work);
}

function kubectl(args: string[]): { status: number | null; stdout: string } {
    return spawnSync("kubectl", ["--context", CONTEXT, ...args], { env: kubectlEnv, encoding: "utf8" });
}

beforeAll(() => {
    const cluster = prepareCluster();
    const { kubeconfig } = cluster;
    const clusterPath = cluster.env.PATH;
    work = programFolder(PROJECT, PROGRAM);
    fs.writeFileSync(path.join(work, `Pulumi.${STACK}.yaml`), stackConfig(path.join(work, "reports")));
    kubectlEnv = { ...process.env, PATH: clusterPath, KUBECONFIG: kubeconfig };
    env = {
        ...process.env,
        PATH: clusterPath,
        // No file: the cluster is reached through the stack's config only.
        KUBECONFIG: path.join(work, "no-such-kubeconfig"),
        PULUMI_BACKEND_URL: `file://${path.join(work, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: "itest",
    };
    pulumi(["stack", "init"]);
    // The kubeconfig's text, as a secret, as a team's CI gives it.
    // Given on stdin, as a multi-line value is (its words would not be shown in a failure either).
    const set = spawnSync(
        "pulumi",
        [
            "config",
            "set",
            "--secret",
            "--path",
            `${PROJECT}:kubernetes.kubeconfig`,
            "--non-interactive",
            "--stack",
            STACK,
        ],
        { cwd: work, env, input: fs.readFileSync(kubeconfig, "utf8"), encoding: "utf8" },
    );
    if (set.status !== 0)
        throw new Error(`pulumi config set kubernetes.kubeconfig exited ${set.status}: ${set.stderr}`);
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

describe("the demo on a Kubernetes cluster chosen by stack config", () => {
    let summary: CoverageSummary;
    let url: string;
    beforeAll(() => {
        pulumi(["up", "--yes", "--skip-preview"]);
        const outputs = JSON.parse(pulumi(["stack", "output", "--json", "--show-secrets"])) as {
            coverage: CoverageSummary;
            serviceUrls: Record<string, string>;
        };
        summary = outputs.coverage;
        url = outputs.serviceUrls.app;
    }, UP_MS);

    it("passes the suite and measures exactly the lines Docker does, every process harvested", () => {
        expect(summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0 }));
        expectDemoLines(summary);
        expect(summary.lostProcesses).toEqual([]);
        expect(summary.services.app.dataFiles).toBeGreaterThanOrEqual(8);
    });

    it("runs in the namespace the config names, on a node's NodePort, the pods scaled to 0 after the run", () => {
        expect(url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:3\d{4}$/);
        const replicas = kubectl([
            "--namespace",
            NAMESPACE,
            "get",
            "deployment",
            "app",
            "-o",
            "jsonpath={.spec.replicas}",
        ]);
        expect([replicas.status, replicas.stdout]).toEqual([0, "0"]);
    });

    it("sizes the data claim, names its StorageClass and paces the shippers as the config says", () => {
        const jsonpath = (kind: string, path: string) =>
            kubectl(["--namespace", NAMESPACE, "get", kind, "-o", `jsonpath=${path}`]).stdout;
        expect(jsonpath("pvc", "{.items[*].spec.resources.requests.storage} {.items[*].spec.storageClassName}")).toBe(
            "256Mi standard",
        );
        const shipper = JSON.parse(
            jsonpath("deployment/app", '{.spec.template.spec.initContainers[?(@.name=="shipper")]}'),
        ) as { command?: string[]; args?: string[] };
        const line = [...(shipper.command ?? []), ...(shipper.args ?? [])];
        expect(line[line.indexOf("--interval") + 1]).toBe("2");
    });

    it("wrote the kubeconfig's text for kubectl to a file only its owner reads", () => {
        const file = path.join(work, "reports", "engine", "kubeconfig");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it(
        "destroys the namespace, and everything in it, with the stack",
        () => {
            pulumi(["destroy", "--yes", "--skip-preview"]);
            destroyed = true;
            const found = kubectl(["get", "namespace", NAMESPACE, "--ignore-not-found", "-o", "name"]);
            expect([found.status, found.stdout.trim()]).toEqual([0, ""]);
        },
        UP_MS,
    );
});
