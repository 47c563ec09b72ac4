// The test run's engine operations on a real Kubernetes cluster (the project's kind cluster, started here when it is
// not up): the kubectl engine (components/testRun/runner/engines/kubectl.ts) waits for a 2-replica Deployment spread
// over two nodes, reports a pod lost without a word and a process killed and restarted (naming pod and node), shows
// each pod's last log lines, stops the Deployment gracefully (its processes get SIGTERM and their grace), names the
// pods a stop could not remove, and copies the measured source out of the app's image on this machine's Docker.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunDescription, ServiceDescription } from "../../../components/testRun/runner/description";
import { Engine, describeExit } from "../../../components/testRun/runner/engines/engine";
import { STOP_MARGIN_SECONDS, kubectlEngine } from "../../../components/testRun/runner/engines/kubectl";
import { waitReady } from "../../../components/testRun/runner/readiness";
import { stopServices } from "../../../components/testRun/runner/stopWaves";
import { TEST_RUN_VARIABLE } from "../../../components/testRun/runner/description";
import { earlyExits } from "../../../components/testRun/runner/testsJson";
import { runnerProgram } from "../../unit/runnerProgram";
import { runProgram } from "../../unit/scriptDocker";
import { REPO_ROOT } from "../engine";

/** Each test's bound; the cluster's start gets its own (a cold `up` builds the cluster's images first). */
jest.setTimeout(240_000);
const CLUSTER_UP_MS = 90 * 60_000;

const TEST_RUN = runnerProgram("testRunMain");

const NAMESPACE = `coverage-spy-itest-kops-${process.pid}`;
/** What the app writes when SIGTERM reaches it, then once it saved (the save takes a while, as coverage.py's does). */
const SAVING = "SIGTERM received, saving";
const SAVED = "saved after SIGTERM";
/** A finalizer of this test's own: a pod holding it stays after its deletion until this test removes it. */
const HOLD = "coverage-spy.test/hold";

interface Cluster {
    kubectl: string;
    kubeconfig: string;
    image: string;
}

/** Runs a program with arguments (no shell); throws with its output when it fails. */
function run(program: string, args: string[], input?: string): string {
    const result = spawnSync(program, args, { encoding: "utf8", input, cwd: REPO_ROOT });
    if (result.status !== 0)
        throw new Error(`${program} ${args.join(" ")} failed (${result.status}): ${result.stderr}${result.stdout}`);
    return result.stdout;
}

/** Starts the cluster unless it is up (idempotent: CI starts from a fresh machine) and finds our kubectl. */
function cluster(): Cluster {
    const kubeconfig = run("bash", ["scripts/k8s-cluster.sh", "up"]).trim().split("\n").pop() ?? "";
    const found = run("bash", ["-c", 'eval "$(bash scripts/k8s-cluster.sh env)" && command -v kubectl']).trim();
    const image = run("bash", ["-c", 'source scripts/k8s-env.sh && printf %s "$K8S_BASE_IMAGE"']);
    return { kubectl: found, kubeconfig, image };
}

let c: Cluster;

/** Deletes the test's namespace, its pods with it, and waits until it is gone (at most 3 min). */
function deleteNamespace(on: Cluster): void {
    run(on.kubectl, [
        "--kubeconfig",
        on.kubeconfig,
        "delete",
        "namespace",
        NAMESPACE,
        "--ignore-not-found",
        "--wait=true",
        "--timeout=180s",
    ]);
}

function kubectl(args: string[], input?: string): string {
    return run(c.kubectl, ["--kubeconfig", c.kubeconfig, "--namespace", NAMESPACE, ...args], input);
}

/**
 * The app: saves for 2 s after SIGTERM (so a stop without its grace would cut it), ready once it said it started
 * (its readinessProbe reads /tmp/ready).
 */
const APP_SCRIPT = [
    `trap 'echo "${SAVING}"; sleep 2; echo saved > /tmp/saved; echo "${SAVED}"; exit 0' TERM`,
    'echo "app started"',
    "echo started > /tmp/ready",
    // One sleep for the app's whole life: the processes a test signals stay the same.
    "while :; do sleep infinity & wait $!; done",
].join("\n");

function deployment(
    name: string,
    image: string,
    more: { finalizers?: string[]; grace?: number; replicas?: number } = {},
): object {
    const labels = { app: name };
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: NAMESPACE },
        spec: {
            replicas: more.replicas ?? 2,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels, finalizers: more.finalizers },
                spec: {
                    terminationGracePeriodSeconds: more.grace ?? 20,
                    topologySpreadConstraints: [
                        {
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "DoNotSchedule",
                            labelSelector: { matchLabels: labels },
                            matchLabelKeys: ["pod-template-hash"],
                            nodeTaintsPolicy: "Honor",
                        },
                    ],
                    containers: [
                        {
                            name: "app",
                            image,
                            imagePullPolicy: "Never",
                            command: ["sh", "-c", APP_SCRIPT],
                            readinessProbe: { exec: { command: ["cat", "/tmp/ready"] }, periodSeconds: 1 },
                        },
                    ],
                },
            },
        },
    };
}

function apply(...objects: object[]): void {
    kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}

function service(name: string, more: Partial<ServiceDescription> = {}): ServiceDescription {
    return {
        name,
        containerName: "app",
        deployment: name,
        sourcePath: "/etc/apt/",
        readinessPath: "/",
        readinessTimeoutSeconds: 120,
        hasHealthcheck: false,
        stopGraceSeconds: 10,
        stopWave: 0,
        ...more,
    };
}

function engine(): Engine {
    return kubectlEngine(
        { kind: "kubectl", kubeconfig: c.kubeconfig, namespace: NAMESPACE },
        `${path.dirname(c.kubectl)}`,
    );
}

interface Pod {
    name: string;
    node: string;
    uid: string;
    ready: boolean;
}

/** The app's pods that are not being deleted, by name. */
function pods(app: string): Pod[] {
    const out = kubectl([
        "get",
        "pods",
        "-l",
        `app=${app}`,
        "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.metadata.uid} " +
            '{.status.containerStatuses[0].ready} {.metadata.deletionTimestamp}{"\\n"}{end}',
    ]);
    return out
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => l.split(" "))
        .filter(([, , , , deleting]) => (deleting ?? "") === "")
        .map(([name, node, uid, ready]) => ({ name, node, uid, ready: ready === "true" }))
        .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Resolves with the app's pods once exactly `count` of them run ready and none other is left, checked at each
 * change of its pods (a watch), not on a timer.
 */
function readyPods(app: string, count: number): Promise<Pod[]> {
    const watch = spawn(c.kubectl, [
        "--kubeconfig",
        c.kubeconfig,
        "-n",
        NAMESPACE,
        "get",
        "pods",
        "-l",
        `app=${app}`,
        "--watch",
        "-o",
        "name",
    ]);
    followers.push(watch);
    return new Promise((resolve, reject) => {
        const check = () => {
            const found = pods(app);
            if (found.length !== count || !found.every((p) => p.ready)) return;
            watch.kill();
            resolve(found);
        };
        watch.stdout.on("data", check);
        watch.once("close", (code) =>
            reject(new Error(`kubectl get pods --watch ended (${code}) before ${count} pods were ready`)),
        );
    });
}

/** The ids (in the node's process namespace) of the processes whose cgroup path holds $1. */
const CGROUP_PIDS = 'for p in /proc/[0-9]*; do grep -qs "$1" "$p/cgroup" && echo "${p#/proc/}"; done; true';

/**
 * Signals each process it is given ($1 the signal, then the ids) and counts those it reached: one may have ended since
 * it was listed (a readiness probe's exec, say), which is no failure.
 */
const SIGNAL_PIDS =
    'signal="$1"; shift; n=0; for p; do kill -"$signal" "$p" 2>/dev/null && n=$((n + 1)); done; echo "$n"';

/** Sends `signal` from the node to each process whose cgroup path holds `cgroup` (kind's nodes are containers). */
function signalCgroup(node: string, cgroup: string, signal: string): void {
    const pids = run("docker", ["exec", node, "sh", "-c", CGROUP_PIDS, "sh", cgroup])
        .split("\n")
        .filter((p) => p !== "");
    expect(pids.length).toBeGreaterThan(0);
    const reached = Number(run("docker", ["exec", node, "sh", "-c", SIGNAL_PIDS, "sh", signal, ...pids]).trim());
    expect(reached).toBeGreaterThan(0);
}

/** Every process of the pod (the systemd cgroup driver writes its UID with underscores). */
function signalPod(pod: Pod, signal: string): void {
    signalCgroup(pod.node, `pod${pod.uid.replace(/-/g, "_")}`, signal);
}

/** The processes of the pod's app container only (the pod's sandbox stays). */
function signalApp(pod: Pod, signal: string): void {
    const id = kubectl(["get", "pod", pod.name, "-o", "jsonpath={.status.containerStatuses[0].containerID}"]);
    signalCgroup(pod.node, id.replace(/^containerd:\/\//, ""), signal);
}

/** Freezes (STOP) or thaws (CONT) the kubelet of a node: its pods run on, but nothing it should do to them happens. */
function signalKubelet(node: string, signal: string): void {
    const reached = run("docker", [
        "exec",
        node,
        "sh",
        "-c",
        'for p in /proc/[0-9]*; do if [ "$(cat "$p/comm" 2>/dev/null)" = kubelet ]; then kill -"$1" "${p#/proc/}" && echo "$p"; fi; done',
        "sh",
        signal,
    ]);
    expect(reached.trim()).not.toBe("");
}

/** The phase of each pod of `app` (none once they are gone). */
function endedPhases(app: string): string[] {
    return kubectl(["get", "pods", "-l", `app=${app}`, "-o", 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}'])
        .split("\n")
        .filter((l) => l !== "");
}

/** What the test run writes on stderr while `action` runs. */
async function stderrOf(action: () => Promise<unknown>): Promise<string> {
    let said = "";
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
        said += chunk.toString();
        return true;
    });
    try {
        await action();
    } finally {
        spy.mockRestore();
    }
    return said;
}

/**
 * Follows a pod's app log: `started` once its first line came (the stream is open), `done` with all of it once the
 * pod is gone.
 */
function followLog(pod: Pod): { started: Promise<void>; done: Promise<string>; child: ChildProcess } {
    const child = spawn(c.kubectl, [
        "--kubeconfig",
        c.kubeconfig,
        "--namespace",
        NAMESPACE,
        "logs",
        "--follow",
        pod.name,
        "-c",
        "app",
    ]);
    let out = "";
    const started = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const done = new Promise<string>((resolve) => child.once("close", () => resolve(out)));
    return { started, done, child };
}

const followers: ChildProcess[] = [];

beforeAll(() => {
    c = cluster();
    // The app's image, into every node (the pods never pull).
    run("bash", [
        "-c",
        'source scripts/k8s-env.sh && kind_run load docker-image --name "$K8S_CLUSTER" "$1" >/dev/null',
        "load",
        c.image,
    ]);
    deleteNamespace(c);
    run(c.kubectl, ["--kubeconfig", c.kubeconfig, "create", "namespace", NAMESPACE]);
}, CLUSTER_UP_MS);

afterAll(() => {
    for (const child of followers) child.kill();
    if (c === undefined) return;
    // Pods held by the test's finalizer would keep the namespace from going.
    const held = spawnSync(c.kubectl, ["--kubeconfig", c.kubeconfig, "-n", NAMESPACE, "get", "pods", "-o", "name"], {
        encoding: "utf8",
    });
    for (const pod of (held.stdout ?? "").split("\n").filter((p) => p !== ""))
        spawnSync(c.kubectl, [
            "--kubeconfig",
            c.kubeconfig,
            "-n",
            NAMESPACE,
            "patch",
            pod,
            "--type=merge",
            "-p",
            '{"metadata":{"finalizers":null}}',
        ]);
    deleteNamespace(c);
}, 240_000);

describe("the kubectl engine on the real cluster", () => {
    it("waits for the Deployment's 2 pods, on 2 nodes, and reports them running", async () => {
        apply(deployment("web", c.image));
        const said = await stderrOf(() => waitReady(engine(), service("web")));
        expect(said).toMatch(/service web ready in \d+ ms/);
        const running = await readyPods("web", 2);
        expect(running).toHaveLength(2);
        expect(new Set(running.map((p) => p.node)).size).toBe(2);
        expect(await engine().state(service("web"))).toEqual({ running: true, exitCode: 0, oomKilled: false });
    });

    it("reports a pod lost without a word (frozen, then force-deleted) as died, naming the pod and its node", async () => {
        const ops = engine();
        await stderrOf(() => waitReady(ops, service("web")));
        const victim = pods("web")[1];
        // Frozen from its node first: a force delete alone still stops a pod gracefully.
        signalPod(victim, "STOP");
        kubectl(["delete", "pod", victim.name, "--grace-period=0", "--force"]);
        kubectl(["wait", "--for=delete", `pod/${victim.name}`, "--timeout=120s"]);
        // Its replacement, for the logs below.
        await readyPods("web", 2);
        let exited = {};
        const said = await stderrOf(async () => (exited = await earlyExits(ops, [service("web")])));
        expect(said).toContain(
            `warning: service web exited during the test suite (pod ${victim.name} on node ${victim.node} is gone ` +
                "(deleted, evicted or its node lost; its processes had no graceful stop)): only the data it saved " +
                "before is measured",
        );
        expect(exited).toEqual({ web: { exitCode: -1, oomKilled: false } });
        // Its last lines: each pod that is left, prefixed by its name.
        expect(said).toContain("[coverage-spy] last lines of Deployment web's pods (container app):");
        for (const p of pods("web")) expect(said).toContain(`[pod/${p.name}/app] app started`);
    });

    it("reports a process killed and restarted by Kubernetes with its exit code, pod and node, and its logs", async () => {
        await readyPods("web", 2);
        const ops = engine();
        await stderrOf(() => waitReady(ops, service("web")));
        const victim = pods("web")[0];
        signalApp(victim, "KILL");
        kubectl([
            "wait",
            `pod/${victim.name}`,
            "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
            "--timeout=120s",
        ]);
        // Its new process started (ready again), for the logs below.
        await readyPods("web", 2);
        const state = await ops.state(service("web"));
        expect(state).toEqual({
            running: false,
            exitCode: 137,
            oomKilled: false,
            where: `in pod ${victim.name} on node ${victim.node} (container app, reason Error, restarted 1 time(s) by Kubernetes)`,
        });
        expect(describeExit(state!)).toMatch(/^exit code 137, in pod /);
        const said = await stderrOf(() => ops.showLogs(service("web")));
        expect(said).toContain(`[coverage-spy] pod ${victim.name} on node ${victim.node}, before its last restart:`);
        expect(said.split(`[pod/${victim.name}/app] app started`)).toHaveLength(3);
    });

    it("stops the Deployment gracefully: scaled to 0, each process saves in its grace, and every process ended", async () => {
        const before = await readyPods("web", 2);
        const logs = before.map(followLog);
        followers.push(...logs.map((l) => l.child));
        // Following from the start: each log holds the app's first line once its stream is open.
        await Promise.all(logs.map((l) => l.started));
        const times = await stopServices(engine(), [service("web")]);
        // Ended, not necessarily gone: the kubelet may still be tearing a pod down.
        expect(endedPhases("web").every((phase) => phase === "Succeeded")).toBe(true);
        expect(kubectl(["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("0");
        // The save after SIGTERM takes 2 s: a stop that had not waited for it would be quicker.
        expect(times.get("web")).toBeGreaterThanOrEqual(2000);
        for (const text of await Promise.all(logs.map((l) => l.done))) {
            expect(text).toContain(SAVING);
            expect(text).toContain(SAVED);
        }
    });

    it("ends a stop once the pods' processes ended, though a pod is kept (here by a finalizer)", async () => {
        apply(deployment("held", c.image, { finalizers: [HOLD], grace: 1 }));
        await stderrOf(() => waitReady(engine(), service("held")));
        const held = pods("held");
        const times = await stopServices(engine(), [service("held", { stopGraceSeconds: 1 })]);
        expect(times.has("held")).toBe(true);
        // Still there (the finalizer), ended: its save (2 s) against the kubelet's least grace (2 s), either phase.
        expect(endedPhases("held").map((phase) => ["Succeeded", "Failed"].includes(phase))).toEqual(
            held.map(() => true),
        );
    });

    it("names the pods whose processes a stop could not end (their kubelet frozen), and how to look into them", async () => {
        apply(deployment("frozen", c.image, { grace: 1 }));
        await stderrOf(() => waitReady(engine(), service("frozen")));
        const [victim] = pods("frozen");
        let failure: unknown;
        let said: string;
        try {
            signalKubelet(victim.node, "STOP");
            said = await stderrOf(() =>
                stopServices(engine(), [service("frozen", { stopGraceSeconds: 1 })]).catch((err: unknown) => {
                    failure = err;
                }),
            );
        } finally {
            signalKubelet(victim.node, "CONT");
        }
        expect((failure as Error).message).toBe("could not stop service(s): frozen");
        // Only the pod on the frozen node: the other one's processes ended.
        expect(said).toContain(
            `[coverage-spy] service frozen: Deployment frozen was scaled to 0 but its pods still ran processes after ` +
                `${1 + STOP_MARGIN_SECONDS} s (their grace and ${STOP_MARGIN_SECONDS} s more): ` +
                `${victim.name} (node ${victim.node}). See why with kubectl --kubeconfig ` +
                `${c.kubeconfig} --namespace ${NAMESPACE} describe pod ${victim.name} and kubectl --kubeconfig ` +
                `${c.kubeconfig} --namespace ${NAMESPACE} logs ${victim.name} --all-containers`,
        );
        kubectl(["wait", "--for=delete", `pod/${victim.name}`, "--timeout=120s"]);
    });

    it("copies the measured source out of the app's image on this machine's Docker engine", async () => {
        const target = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-kops-"));
        try {
            const result = await engine().copySource(service("web"), target);
            expect(result).toEqual({});
            const listed = run("docker", [
                "run",
                "--rm",
                "--entrypoint",
                "find",
                c.image,
                "/etc/apt",
                "-mindepth",
                "1",
                "-printf",
                "%P\\n",
            ]);
            const expected = listed
                .split("\n")
                .filter((f) => f !== "")
                .sort();
            const copied = fs.readdirSync(target, { recursive: true, encoding: "utf8" }).sort();
            expect(copied).toEqual(expected);
            expect(expected.length).toBeGreaterThan(0);
        } finally {
            fs.rmSync(target, { recursive: true, force: true });
        }
    });

    it("says what to do when this machine's Docker engine lacks the app's image", async () => {
        const missing = `coverage-spy/itest-kops-never-built:${process.pid}`;
        apply(deployment("ghost", missing, { replicas: 0 }));
        const result = await engine().copySource(service("ghost"), os.tmpdir());
        expect(result).toEqual({
            failure:
                `the measured source of service ghost (/etc/apt/) is copied from its image ${missing}, which this ` +
                `machine's Docker engine does not have: pull it (docker pull ${missing}) or build it here before the run`,
        });
    });

    it("runs a whole test run on the Deployment: ready, suite, no early exit, graceful stop, source copied", async () => {
        apply(deployment("whole", c.image));
        const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "coverage-spy-kops-run-"));
        try {
            const description: RunDescription = {
                runDir,
                testWorkingDir: runDir,
                testCommand: "echo suite ran",
                testTimeoutSeconds: 0,
                engine: { kind: "kubectl", kubectl: c.kubectl, kubeconfig: c.kubeconfig, namespace: NAMESPACE },
                services: [service("whole")],
            };
            const result = await runProgram(TEST_RUN, {
                [TEST_RUN_VARIABLE]: JSON.stringify(description),
            });
            expect(result.stderr).toMatch(/service whole ready in \d+ ms/);
            expect(result.stderr).toMatch(/service whole stopped in \d+ ms/);
            expect(result.status).toBe(0);
            const tests = JSON.parse(fs.readFileSync(path.join(runDir, "tests.json"), "utf8")) as {
                stopMs: Record<string, number>;
            };
            expect(tests).toMatchObject({ exitCode: 0, exitedEarly: {} });
            expect(tests.stopMs.whole).toBeGreaterThanOrEqual(2000);
            expect(fs.readdirSync(path.join(runDir, "sources", "whole")).length).toBeGreaterThan(0);
            expect(pods("whole")).toEqual([]);
        } finally {
            fs.rmSync(runDir, { recursive: true, force: true });
        }
    });
});
