// A run of the demo on the project's kind cluster killed outright (SIGKILL of the command and its engine, as a CI
// timeout or `kill -9` does) while its Deployments are created, as the Docker test of a killed run does: the next
// `npx coverage-spy up` recovers by itself and passes, and `destroy` then leaves nothing of the stack in the cluster.
import { spawnSync } from "child_process";
import { processGone } from "../../../cli/recovery/stackLocks";
import { COLLECTOR_NAME } from "../../../components/engine/kubernetes/names";
import { expectDemoLines } from "../freshProject";
import { until } from "../runInBackground";
import { CLUSTER_UP_MS, KubernetesProgram, SERVICE, UP_MS, prepareCluster } from "./program";

const STACK = `itest-k8s-killed-${process.pid}`;

let program: KubernetesProgram;
let destroyed = false;

/** Whether kubectl finds the object (`kind/name`) in the stack's namespace; no error when it does not. */
function exists(object: string): boolean {
    const found = spawnSync(
        "kubectl",
        [
            "--kubeconfig",
            program.cluster.kubeconfig,
            "--namespace",
            program.namespace(STACK),
            "get",
            object,
            "-o",
            "name",
        ],
        { env: program.cluster.env, encoding: "utf8" },
    );
    return found.status === 0 && found.stdout.trim() === object;
}

/** The persistent volumes bound to a claim of the stack's namespace: "name claim" lines. */
function volumesOfNamespace(): string[] {
    return program
        .kubectl([
            "get",
            "pv",
            "-o",
            'jsonpath={range .items[*]}{.metadata.name} {.spec.claimRef.namespace}{"\\n"}{end}',
        ])
        .split("\n")
        .filter((line) => line.endsWith(` ${program.namespace(STACK)}`));
}

beforeAll(() => {
    program = new KubernetesProgram("itest-k8s-killed", prepareCluster());
    program.initStack(STACK);
}, CLUSTER_UP_MS);

afterAll(() => {
    if (program === undefined) return;
    try {
        if (!destroyed) program.command(STACK, ["destroy"]);
    } finally {
        program.cleanup([]);
    }
}, UP_MS);

describe("a run on a cluster killed while its Deployments are created", () => {
    let output: string;

    beforeAll(async () => {
        const run = program.commandInBackground(STACK, ["up"]);
        // The namespace, the collector and the service's Deployment exist: the engine is creating the run's objects.
        await until(
            "the collector's and the service's Deployments",
            () => exists(`deployment.apps/${COLLECTOR_NAME}`) && exists(`deployment.apps/${SERVICE}`),
            UP_MS,
        );
        process.kill(-run.child.pid!, "SIGKILL");
        await run.exited;
        // Every process of the killed run is gone (not just its first), as when a user runs again.
        await until("the killed run's processes to be gone", () => processGone(-run.child.pid!), 20_000);
        output = program.command(STACK, ["up"]);
    }, 2 * UP_MS);

    it("is followed by an up that recovers, says what it cleared, and measures the demo's lines", () => {
        expect(output).toMatch(/recovered: /);
        const { summary } = program.outputs(STACK);
        expect(summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0 }));
        expectDemoLines(summary);
        expect(summary.lostProcesses).toEqual([]);
    });

    it(
        "then a destroy leaves nothing with the stack's labels in the cluster, nor a volume of its claim",
        async () => {
            program.command(STACK, ["destroy"]);
            destroyed = true;
            expect(program.labelled(STACK)).toEqual([]);
            expect(exists(`namespace/${program.namespace(STACK)}`)).toBe(false);
            // The claim's volume goes once the provisioner has removed its data (after the claim is gone).
            await until("the claim's volume to be deleted", () => volumesOfNamespace().length === 0, UP_MS);
        },
        UP_MS,
    );
});
