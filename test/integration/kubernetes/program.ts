// The demo as a Pulumi program giving CoverageSpyStack a kubernetes provider, on the project's kind cluster: the
// cluster started (or reused) and given the images, a program folder with its own backend, its stacks brought up
// (one at a time, or several at once) and destroyed, and kubectl on the stack's namespace.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planSpyImage } from "../../../components/engine/spyDelivery";
import { spyBuildCommand } from "../../../components/engine/spyImage";
import { COLLECTOR_NAME, stackNamespace } from "../../../components/engine/kubernetes/names";
import { DATA_DIR } from "../../../components/shared/layout";
import { LABEL_ROLE, LABEL_SERVICE, LABEL_STACK } from "../../../components/shared/naming";
import { CoverageSummary } from "../../../components/summary/coverageSummary";
import { DEMO_IMAGE, DEMO_TEST_COMMAND } from "../demoExpectations";
import { REPO_ROOT, spyBaseImage } from "../engine";
import { BackgroundRun, RUN_STACK, commandInBackground } from "../runInBackground";

export const CLUSTER_UP_MS = 10 * 60 * 1000;
export const UP_MS = 10 * 60 * 1000;
/** The demo's suite, on the service's URL as the component gives it. */
export const DEMO_SUITE = `COVERAGE_SPY_DEMO_URL="$COVERAGE_SPY_APP_URL" ${DEMO_TEST_COMMAND}`;
/** The measured service's name in the program, and so its Deployment's and its data folder's. */
export const SERVICE = "app";
/** The selector of the service's pods in a stack's namespace. */
export const SERVICE_PODS = `${LABEL_SERVICE}=${SERVICE}`;

/** The demo service of the cluster tests and the benchmark: stacks/Pulumi.dev.yaml's, named SERVICE. */
export const DEMO_SERVICE = {
    name: SERVICE,
    image: DEMO_IMAGE,
    sourcePath: "/app",
    ports: [{ internal: 8000 }],
    readinessPath: "/healthz",
    env: { DEMO_WORKERS: "3" },
    stopGraceSeconds: 20,
};
/** DEMO_SERVICE as program source (a JSON object is a TypeScript object literal). */
export const DEMO_SERVICE_SOURCE = JSON.stringify(DEMO_SERVICE);

export function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = REPO_ROOT): string {
    const result = spawnSync(program, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0)
        throw new Error(`${program} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
}

/** The same as run, without blocking: for several `pulumi up` at once. */
export function runAsync(program: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(program, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0
                ? resolve(stdout)
                : reject(new Error(`${program} ${args.join(" ")} exited ${code}:\n${stdout}\n${stderr}`)),
        );
    });
}

/** The cluster as the tests reach it: kubectl and kind on PATH, KUBECONFIG set. */
export interface Cluster {
    env: NodeJS.ProcessEnv;
    kubeconfig: string;
}

/** Starts (or reuses) the project's cluster, and loads the spy image the component plans and the demo's into it. */
export function prepareCluster(): Cluster {
    const kubeconfig = run("bash", ["scripts/k8s-cluster.sh", "up"]).trim().split("\n").pop() ?? "";
    const clusterPath = run("bash", ["-c", 'eval "$(bash scripts/k8s-cluster.sh env)" && printf %s "$PATH"']);
    // The spy image the component plans, built on this machine when missing, and the demo's, in every node.
    const spy = planSpyImage({ spyBaseImage: spyBaseImage(), assetsDir: path.join(REPO_ROOT, "coverage-spy") });
    run("sh", ["-c", spyBuildCommand(spy.image, spy.recipe!)]);
    run("bash", ["scripts/k8s-cluster.sh", "load", spy.image, DEMO_IMAGE]);
    return { env: { ...process.env, PATH: clusterPath, KUBECONFIG: kubeconfig }, kubeconfig };
}

/**
 * A new folder holding a Pulumi TypeScript program (Pulumi.yaml, package.json, tsconfig.json, index.ts with `source`)
 * whose node_modules is this checkout's, and an empty .state folder for its own file backend; returns its path.
 */
export function programFolder(project: string, source: string): string {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `coverage-spy-${project}-`));
    fs.writeFileSync(path.join(work, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
    fs.writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: project, main: "index.ts" }));
    const compilerOptions = { module: "commonjs", moduleResolution: "node", target: "ES2020", strict: true };
    fs.writeFileSync(
        path.join(work, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { ...compilerOptions, types: ["node"] }, files: ["index.ts"] }),
    );
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(work, "node_modules"));
    fs.writeFileSync(path.join(work, "index.ts"), source);
    fs.mkdirSync(path.join(work, ".state"));
    return work;
}

/** The program: the demo (stacks/Pulumi.dev.yaml's service, named app) on the cluster the provider reaches. */
function programSource(testCommand: string, reportsDir: string): string {
    return `import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CoverageSpyStack } from ${JSON.stringify(path.join(REPO_ROOT, "components"))};

const cluster = new k8s.Provider("kind", { kubeconfig: fs.readFileSync(process.env.KUBECONFIG!, "utf8") });
const stack = new CoverageSpyStack(
    "demo",
    {
        services: [
            ${DEMO_SERVICE_SOURCE},
        ],
        // The suite knows its stack (stack names here are letters, digits and dashes only).
        testCommand: "export ITEST_STACK=" + pulumi.getStack() + "; " + ${JSON.stringify(testCommand)},
        testWorkingDir: ${JSON.stringify(REPO_ROOT)},
        testTimeoutSeconds: 300,
        spyBaseImage: ${JSON.stringify(spyBaseImage())},
        lostProcesses: "fail",
        reportDir: path.join(${JSON.stringify(reportsDir)}, pulumi.getStack()),
        // The stack's config may set report options (a test changes them between two runs).
        coverage: new pulumi.Config().getObject<{ excludeLines?: string[] }>("coverage"),
    },
    { providers: [cluster] },
);
export const coverage = stack.coverage;
export const runId = stack.runId;
export const serviceUrls = stack.serviceUrls;
`;
}

/** What one `pulumi up` gave. */
export interface Up {
    summary: CoverageSummary;
    runId: string;
    url: string;
}

/** A pod of the service as `kubectl get pods` saw it during the suite. */
export interface PodPlace {
    pod: string;
    node: string;
}

/** The spy's files of one run in the collector's claim, per host (a pod's name). */
export interface PodFiles {
    /** Processes that started measuring (start records). */
    started: number;
    /** Processes that left their end record. */
    ended: number;
    /** coverage.py data files. */
    dataFiles: number;
}

/**
 * One program folder (Pulumi.yaml, index.ts, its own file backend) whose stacks are the project's stacks on the
 * cluster; testCommand is the suite the program runs (DEMO_SUITE, or a script around it), with $ITEST_STACK its stack.
 */
export class KubernetesProgram {
    readonly work: string;
    private readonly env: NodeJS.ProcessEnv;

    constructor(
        readonly project: string,
        readonly cluster: Cluster,
        testCommand: (work: string) => string = () => DEMO_SUITE,
    ) {
        // The program reads its folder to place its reports: the folder's name is known once it exists.
        this.work = programFolder(project, "");
        fs.writeFileSync(
            path.join(this.work, "index.ts"),
            programSource(testCommand(this.work), path.join(this.work, "reports")),
        );
        this.env = {
            ...cluster.env,
            PULUMI_BACKEND_URL: `file://${path.join(this.work, ".state")}`,
            PULUMI_CONFIG_PASSPHRASE: "itest",
        };
    }

    namespace(stack: string): string {
        return stackNamespace(this.project, stack);
    }

    pulumi(stack: string, args: string[]): string {
        return run("pulumi", [...args, "--non-interactive", "--stack", stack], this.env, this.work);
    }

    initStack(stack: string): void {
        this.pulumi(stack, ["stack", "init"]);
    }

    up(stack: string): Up {
        this.pulumi(stack, ["up", "--yes", "--skip-preview"]);
        return this.outputs(stack);
    }

    /** `pulumi up` without blocking, so several stacks can come up at once. */
    async upAsync(stack: string): Promise<Up> {
        await runAsync(
            "pulumi",
            ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack],
            this.env,
            this.work,
        );
        return this.outputs(stack);
    }

    destroy(stack: string): void {
        this.pulumi(stack, ["destroy", "--yes", "--skip-preview"]);
    }

    /**
     * The package's command on the stack (`npx coverage-spy ARGS --stack STACK` in the program's folder): what it
     * printed, its own lines (stderr) among the engine's, as a terminal shows them.
     */
    command(stack: string, args: string[]): string {
        const command = ["node", RUN_STACK, ...args, "--stack", stack];
        return run("sh", ["-c", 'exec "$@" 2>&1', "sh", ...command], this.env, this.work);
    }

    /** The package's command on the stack, as `command` does, in a process group of its own, in the background. */
    commandInBackground(stack: string, args: string[]): BackgroundRun {
        return commandInBackground([...args, "--stack", stack], this.work, this.env);
    }

    /** The program's folder removed; destroy first what still stands (a failed test left it). */
    cleanup(standing: string[]): void {
        try {
            for (const stack of standing) this.destroy(stack);
        } finally {
            fs.rmSync(this.work, { recursive: true, force: true });
        }
    }

    kubectl(args: string[]): string {
        return run("kubectl", ["--kubeconfig", this.cluster.kubeconfig, ...args], this.env);
    }

    /** Every object of the kinds a stack makes, in any namespace, carrying the stack's label: "kind/name" lines. */
    labelled(stack: string): string[] {
        return this.kubectl([
            "get",
            "namespace,all,pvc,configmap,job,secret",
            "--all-namespaces",
            "-l",
            `${LABEL_STACK}=${stack}`,
            "-o",
            "name",
        ])
            .split("\n")
            .filter((line) => line !== "");
    }

    /**
     * A suite that first records where the service's pods run (`kubectl get pods -o json` into pods-<stack>.json,
     * read by podPlaces), then runs the demo's suite.
     */
    static recordingPods(work: string): string {
        const file = `${work}/pods-$ITEST_STACK.json`;
        return (
            `kubectl get pods --all-namespaces -l "${SERVICE_PODS},${LABEL_STACK}=$ITEST_STACK" -o json > "${file}"` +
            ` && ${DEMO_SUITE}`
        );
    }

    /** The service's pods and their nodes during the stack's last suite (recordingPods). */
    podPlaces(stack: string): PodPlace[] {
        const file = path.join(this.work, `pods-${stack}.json`);
        const list = JSON.parse(fs.readFileSync(file, "utf8")) as {
            items: { metadata: { name: string }; spec: { nodeName: string } }[];
        };
        return list.items.map((item) => ({ pod: item.metadata.name, node: item.spec.nodeName }));
    }

    /** The service's spy files of one run in the collector's claim, counted per host (pod). */
    podFiles(stack: string, runId: string): Record<string, PodFiles> {
        const names = this.inCollector(stack, ["ls", "-A", `${DATA_DIR}/runs/${runId}/${SERVICE}`])
            .split("\n")
            .filter((line) => line !== "");
        const perHost: Record<string, PodFiles> = {};
        const count = (host: string, key: keyof PodFiles): void => {
            perHost[host] ??= { started: 0, ended: 0, dataFiles: 0 };
            perHost[host][key] += 1;
        };
        for (const name of names) {
            const record = /^\.(start|end)\.(.+)\.pid\d+\.json$/.exec(name);
            if (record) count(record[2], record[1] === "start" ? "started" : "ended");
            const data = /^\.coverage\.(.+)\.pid\d+\.X[A-Za-z0-9]{6}x(\.H[A-Za-z0-9]{10}h)?$/.exec(name);
            if (data) count(data[1], "dataFiles");
        }
        return perHost;
    }

    /** The stack's collector pods now, by name. */
    collectorPods(stack: string): string[] {
        return this.kubectl([
            "--namespace",
            this.namespace(stack),
            "get",
            "pods",
            "-l",
            `${LABEL_ROLE}=collector,${LABEL_STACK}=${stack}`,
            "-o",
            "name",
        ])
            .split("\n")
            .filter((line) => line !== "");
    }

    /** A command in the collector's container, which holds the stack's claim at DATA_DIR. */
    inCollector(stack: string, command: string[]): string {
        return this.kubectl([
            "--namespace",
            this.namespace(stack),
            "exec",
            `deployment/${COLLECTOR_NAME}`,
            "-c",
            "collector",
            "--",
            ...command,
        ]);
    }

    /** The stack's outputs as its last `up` left them. */
    outputs(stack: string): Up {
        const outputs = JSON.parse(this.pulumi(stack, ["stack", "output", "--json"])) as {
            coverage: CoverageSummary;
            runId: string;
            serviceUrls: Record<string, string>;
        };
        return { summary: outputs.coverage, runId: outputs.runId, url: outputs.serviceUrls[SERVICE] };
    }
}
