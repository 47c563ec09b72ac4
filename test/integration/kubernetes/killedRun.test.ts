// Runs of the demo on the project's kind cluster killed outright (SIGKILL of the command and its engine, as a CI
// timeout or `kill -9` does), as the Docker tests of a killed run do: while the Deployments are created, and during
// the suite. Each time the next `npx coverage-spy up` recovers by itself and passes; `destroy` then leaves nothing
// of the stack in the cluster.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { processGone } from "../../../cli/recovery/stackLocks";
import { COLLECTOR_NAME } from "../../../components/engine/kubernetes/names";
import { expectDemoLines } from "../freshProject";
import { BackgroundRun, until } from "../runInBackground";
import { CLUSTER_UP_MS, DEMO_SUITE, KubernetesProgram, SERVICE, UP_MS, prepareCluster } from "./program";

const STACK = `itest-k8s-killed-${process.pid}`;

let program: KubernetesProgram;
let destroyed = false;

/** While this file is in the program's folder, the suite says it runs (its pid in suite.pid), then hangs. */
const HANG = "hang";
const SUITE_PID = "suite.pid";

/** The demo's suite, or a hanging one while the program's folder holds HANG. */
function suite(work: string): string {
    const hang = JSON.stringify(path.join(work, HANG));
    const pidFile = JSON.stringify(path.join(work, SUITE_PID));
    return `if [ -e ${hang} ]; then echo $$ > ${pidFile}; exec sleep 600; fi; ${DEMO_SUITE}`;
}

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

/** The persistent volumes bound to a claim of the stack's namespace: "name namespace" lines. */
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

/** `check`, failing at once with what the run printed once the run has ended: what it waits for never comes. */
function whileRunning(run: BackgroundRun, check: () => boolean): () => boolean {
    return () => {
        if (run.child.exitCode !== null || run.child.signalCode !== null)
            throw new Error(`the run ended first:\n${run.output()}`);
        return check();
    };
}

/** SIGKILL of the command's process group (the command and the Pulumi CLI), once every process of it is gone. */
async function killed(run: BackgroundRun): Promise<void> {
    process.kill(-run.child.pid!, "SIGKILL");
    await run.exited;
    // Every process of the killed run is gone (not just its first), as when a user runs again.
    await until("the killed run's processes to be gone", () => processGone(-run.child.pid!), 20_000);
}

/** The next up after a killed run: it recovers, says so, and passes with the demo's lines. */
function expectRecoveredRun(output: string): void {
    expect(output).toMatch(/recovered: /);
    const { summary } = program.outputs(STACK);
    expect(summary.tests).toEqual(expect.objectContaining({ passed: 10, failed: 0 }));
    expectDemoLines(summary);
    expect(summary.lostProcesses).toEqual([]);
}

beforeAll(() => {
    program = new KubernetesProgram("itest-k8s-killed", prepareCluster(), suite);
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

describe("a run on a cluster killed outright", () => {
    it(
        "while its Deployments are created: the next up deletes what the killed creates made, and passes",
        async () => {
            const run = program.commandInBackground(STACK, ["up"]);
            // The namespace, the collector and the service's Deployment exist: the engine is creating the run's
            // objects (the service's Deployment waits for its pods).
            await until(
                "the collector's and the service's Deployments",
                whileRunning(
                    run,
                    () => exists(`deployment.apps/${COLLECTOR_NAME}`) && exists(`deployment.apps/${SERVICE}`),
                ),
                UP_MS,
            );
            await killed(run);
            const output = program.command(STACK, ["up"]);
            expect(output).toMatch(
                new RegExp(
                    `recovered: Deployment ${program.namespace(STACK)}/${SERVICE}, created on the cluster by an ` +
                        "interrupted update: deleted",
                ),
            );
            expectRecoveredRun(output);
        },
        3 * UP_MS,
    );

    it(
        "during the suite: the next up stops the test run the kill left, which stops its pods, and passes",
        async () => {
            fs.writeFileSync(path.join(program.work, HANG), "");
            const pidFile = path.join(program.work, SUITE_PID);
            fs.rmSync(pidFile, { force: true });
            const run = program.commandInBackground(STACK, ["up"]);
            await until(
                "the suite to run",
                whileRunning(run, () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8") !== ""),
                UP_MS,
            );
            const suitePid = Number(fs.readFileSync(pidFile, "utf8"));
            await killed(run);
            // Nothing stopped the suite: the command and the CLI were killed, the test run is the engine's plugin's.
            expect(processGone(suitePid)).toBe(false);
            fs.rmSync(path.join(program.work, HANG));
            const output = program.command(STACK, ["up"]);
            expect(output).toMatch(/recovered: a test run left running: stopped its \d+ process\(es\)/);
            expect(processGone(suitePid)).toBe(true);
            expectRecoveredRun(output);
        },
        3 * UP_MS,
    );

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
