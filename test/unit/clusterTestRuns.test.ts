import { ChildProcess, spawn, spawnSync } from "child_process";
import { once } from "events";
import { clusterTestRunDirs, testRunsEnded } from "../../cli/recovery/clusterTestRuns";
import { ENGINE_DRIVER_VARIABLE, ENGINE_STACK_VARIABLE } from "../../cli/recovery/engineProcesses";
import { TEST_RUN_VARIABLE } from "../../components/testRun/runner/description";

const children: ChildProcess[] = [];
afterAll(() => {
    for (const child of children) child.kill("SIGKILL");
});

/** A long-running process with the given environment, once it runs. */
async function started(env: Record<string, string>): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["-e", 'setInterval(() => {}, 1000); console.log("ready");'], {
        env: { PATH: process.env.PATH, ...env },
        stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    await once(child.stdout, "data");
    return child;
}

const STACK = `unit-cluster-runs-${process.pid}`;

/** A pid no process has any more: a process that ran and was reaped. */
function deadPid(): number {
    return Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
}

/** A test run's process of the stack (as the engine marks it), its run on the given engine, its driver gone. */
function testRunEnv(runDir: string, engine: unknown, stack = STACK, driver = deadPid()): Record<string, string> {
    return {
        [ENGINE_STACK_VARIABLE]: stack,
        [ENGINE_DRIVER_VARIABLE]: String(driver),
        [TEST_RUN_VARIABLE]: JSON.stringify({ runDir, engine, services: [] }),
    };
}

describe("a stack's test runs on a cluster, found by their processes", () => {
    it("finds the run folders of this stack's runs on a cluster, once each, and no Docker run's nor a live update's", async () => {
        const kubectl = { kind: "kubectl", namespace: "ns" };
        await started(testRunEnv("/runs/a", kubectl));
        // The suite inherits the run's description: the same run.
        await started(testRunEnv("/runs/a", kubectl));
        await started(testRunEnv("/runs/b", kubectl));
        await started(testRunEnv("/runs/docker", { kind: "docker" }));
        await started(testRunEnv("/runs/default", undefined));
        await started(testRunEnv("/runs/other", kubectl, `${STACK}-other`));
        await started(testRunEnv("relative", kubectl));
        // This command's own run (an interrupt's), and a live update's, which only its own command stops.
        await started(testRunEnv("/runs/own", kubectl, STACK, process.pid));
        await started(testRunEnv("/runs/live", kubectl, STACK, 1));
        await started({ [ENGINE_STACK_VARIABLE]: STACK, [TEST_RUN_VARIABLE]: "not json" });
        expect(clusterTestRunDirs(STACK)).toEqual(["/runs/a", "/runs/b", "/runs/own"]);
    });

    it("waits for stopped runs to end, and names those that did not in time", async () => {
        const ending = await started({});
        const staying = await started({});
        setTimeout(() => ending.kill("SIGTERM"), 300);
        expect(await testRunsEnded([ending.pid!, staying.pid!], 3000)).toEqual([staying.pid]);
        expect(await testRunsEnded([ending.pid!])).toEqual([]);
    });
});
