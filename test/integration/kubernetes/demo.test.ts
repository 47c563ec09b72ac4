// The demo measured on the project's kind cluster by a real `pulumi up` of a program giving CoverageSpyStack a
// kubernetes provider: the suite passes, every line the demo's markers say is missed and no other (what the Docker
// engine measures), its two replicas run on both worker nodes and every process of each pod is harvested, a second
// run starts from the first's scaled-down Deployment, a third harvests with the rcfile its config just changed, and
// destroy leaves no namespace.
import { spawnSync } from "child_process";
import { DEMO_WORKERS } from "../demoExpectations";
import { expectDemoLines } from "../freshProject";
import { CLUSTER_UP_MS, KubernetesProgram, PodPlace, prepareCluster, Up, UP_MS } from "./program";

const STACK = `itest-k8s-${process.pid}`;

let program: KubernetesProgram;

beforeAll(() => {
    program = new KubernetesProgram("itest-k8s-demo", prepareCluster(), (work) =>
        KubernetesProgram.recordingPods(work),
    );
    program.initStack(STACK);
}, CLUSTER_UP_MS);

let destroyed = false;

afterAll(() => program?.cleanup(destroyed ? [] : [STACK]), UP_MS);

describe("the demo on a Kubernetes cluster, through the component", () => {
    let first: Up;
    let second: Up;
    const places: PodPlace[][] = [];
    beforeAll(() => {
        first = program.up(STACK);
        places.push(program.podPlaces(STACK));
        second = program.up(STACK);
        places.push(program.podPlaces(STACK));
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

    it("runs the two replicas on the two worker nodes, never on the control plane", () => {
        const workers = program
            .kubectl(["get", "nodes", "-l", "!node-role.kubernetes.io/control-plane", "-o", "name"])
            .split("\n")
            .filter((line) => line !== "")
            .map((name) => name.replace(/^node\//, ""))
            .sort();
        expect(workers).toHaveLength(2);
        for (const pods of places) {
            expect(pods).toHaveLength(2);
            expect(pods.map((place) => place.node).sort()).toEqual(workers);
        }
    });

    it("counts every process per pod and per node: each started process left its data file and its end record", () => {
        for (const [index, run] of [first, second].entries()) {
            const files = program.podFiles(STACK, run.runId);
            const pods = places[index];
            // The hosts in the spy's file names are exactly the pods that ran during the suite.
            expect(Object.keys(files).sort()).toEqual(pods.map((place) => place.pod).sort());
            for (const place of pods) {
                // Each pod: the server and its workers, at least; every one ended and saved.
                expect(files[place.pod].started).toBeGreaterThanOrEqual(1 + DEMO_WORKERS);
                expect(files[place.pod]).toEqual({
                    started: files[place.pod].started,
                    ended: files[place.pod].started,
                    dataFiles: files[place.pod].started,
                });
            }
            const total = Object.values(files).reduce((sum, pod) => sum + pod.dataFiles, 0);
            expect(run.summary.services.app.dataFiles).toBe(total);
        }
    });

    it("reaches the service on a node's address and NodePort, the same across runs", () => {
        expect(first.url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:3\d{4}$/);
        expect(second.url).toBe(first.url);
    });

    it("leaves the service's pods scaled to 0 after each run (the test run's graceful stop)", () => {
        const replicas = program.kubectl([
            "--namespace",
            program.namespace(STACK),
            "get",
            "deployment",
            "app",
            "-o",
            "jsonpath={.spec.replicas}",
        ]);
        expect(replicas).toBe("0");
    });

    it("harvests with the rcfile as the stack's config last set it: a changed report option counts at once", () => {
        // [report] exclude_also is read by the harvest alone: the marked (missed) lines leave the report.
        const collectorBefore = program.collectorPods(STACK);
        program.pulumi(STACK, ["config", "set", "--path", "coverage.excludeLines[0]", "demo: not-hit"]);
        const third = program.up(STACK);
        // A new collector read the new rcfile: a running pod sees a ConfigMap's change only at its kubelet's next
        // sync, which may come after the harvest.
        const collectorAfter = program.collectorPods(STACK);
        expect(collectorBefore).toHaveLength(1);
        expect(collectorAfter).toHaveLength(1);
        expect(collectorAfter).not.toEqual(collectorBefore);
        const files = third.summary.files.filter((f) => f.service === "app");
        expect(files.length).toBeGreaterThan(0);
        expect(files.flatMap((f) => f.missingLines)).toEqual([]);
        const statements = (run: Up) =>
            run.summary.files.filter((f) => f.service === "app").reduce((sum, f) => sum + f.statements, 0);
        expect(statements(third)).toBeLessThan(statements(second));
        expect(third.summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0 }));
    });

    it(
        "destroys the stack's namespace, and everything in it, with the stack",
        () => {
            program.destroy(STACK);
            destroyed = true;
            const found = spawnSync(
                "kubectl",
                [
                    "--kubeconfig",
                    program.cluster.kubeconfig,
                    "get",
                    "namespace",
                    program.namespace(STACK),
                    "--ignore-not-found",
                    "-o",
                    "name",
                ],
                { env: program.cluster.env, encoding: "utf8" },
            );
            expect([found.status, found.stdout.trim()]).toEqual([0, ""]);
        },
        UP_MS,
    );
});
